package io.twotower.job.plot;

import java.io.IOException;

/** Input a plot cannot be drawn from (a missing file, a malformed line); the message names the file and line. */
public final class PlotInputException extends IOException {
    private static final long serialVersionUID = 1L;

    public PlotInputException(String message) {
        super(message);
    }
}
