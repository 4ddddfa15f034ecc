package io.twotower.job.recommend;

/**
 * The two dense layers the plain-Java user towers of {@code recommend} share, in double precision over float32
 * weights: PyTorch's Linear and LayerNorm over one d-wide row.
 */
final class DenseLayers {
    private DenseLayers() {}

    /**
     * x @ W.T + b over d outputs, with W in PyTorch's (out, in) layout, starting at output row {@code from} of W and b
     * (a slice of a stacked projection such as attention's in_proj).
     */
    static double[] linear(double[] x, float[] weight, float[] bias, int from) {
        int d = x.length;
        double[] y = new double[d];
        for (int o = 0; o < d; o++) {
            double sum = bias[from + o];
            int base = (from + o) * d;
            for (int i = 0; i < d; i++) {
                sum += (double) weight[base + i] * x[i];
            }
            y[o] = sum;
        }
        return y;
    }

    /** PyTorch's LayerNorm, in place: population variance, eps inside the square root. */
    static void layerNorm(double[] x, float[] gamma, float[] beta, double eps) {
        int d = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= d;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= d;
        double scale = 1.0 / Math.sqrt(var + eps);
        for (int c = 0; c < d; c++) {
            x[c] = (x[c] - mean) * scale * gamma[c] + beta[c];
        }
    }
}
