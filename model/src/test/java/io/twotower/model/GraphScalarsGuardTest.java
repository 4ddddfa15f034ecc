package io.twotower.model;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import org.junit.jupiter.api.Test;

import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guards the rule of {@link GraphScalars}: compiles this module's main sources with javac's attribution
 * (so overloads are resolved exactly as the build resolves them) and fails on every call of a DJL
 * {@code NDArray} method that takes a {@code Number}, or of {@code NDManager.create} with one scalar, outside
 * the classes that run with grad mode off.
 */
class GraphScalarsGuardTest {
    /** Code that runs with grad mode off and keeps no autograd graph: a Java-backed scalar is read at once. */
    private static final Set<String> NO_GRAPH = Set.of(
            "io.twotower.model.AdamW");
    private static final Set<String> SCALAR_TYPES = Set.of(
            "java.lang.Number", "float", "double", "int", "long", "boolean", "byte", "short");

    @Test
    void graphCodeMakesNoJavaBackedScalars() throws IOException {
        List<String> violations = scan(Paths.get("src/main/java"));
        assertThat(violations).as("use GraphScalars.of(manager, value) in graph code").isEmpty();
    }

    @Test
    void theScanFindsANumberOverload() throws IOException {
        // The guard itself must be able to fail: a file with the forbidden call.
        Path dir = Files.createTempDirectory("guard");
        Path file = dir.resolve("io/twotower/model/Bad.java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, String.join("\n",
                "package io.twotower.model;",
                "class Bad {",
                "  ai.djl.ndarray.NDArray half(ai.djl.ndarray.NDArray x) { return x.mul(0.5f).maximum(1e-12f); }",
                "  ai.djl.ndarray.NDArray ok(ai.djl.ndarray.NDArray x, ai.djl.ndarray.NDArray y) { return x.mul(y).sum(new int[] {1}, true); }",
                "  ai.djl.ndarray.NDArray one(ai.djl.ndarray.NDManager m) { return m.create(1f); }",
                "}"));
        assertThat(scan(dir)).hasSize(3).allMatch(v -> v.contains("Bad.java"));
    }

    private static List<String> scan(Path root) throws IOException {
        List<Path> sources;
        try (Stream<Path> walk = Files.walk(root)) {
            sources = walk.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null)) {
            List<String> options = List.of("-proc:none", "-classpath", testClassPath());
            JavacTask task = (JavacTask) javac.getTask(null, files, diagnostics, options, null,
                    files.getJavaFileObjectsFromPaths(sources));
            Iterable<? extends CompilationUnitTree> units = task.parse();
            task.analyze();
            assertThat(diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR).map(Object::toString))
                    .as("the scanned sources compile").isEmpty();
            Trees trees = Trees.instance(task);
            List<String> violations = new ArrayList<>();
            for (CompilationUnitTree unit : units) {
                new TreePathScanner<Void, Void>() {
                    @Override
                    public Void visitMethodInvocation(MethodInvocationTree call, Void unused) {
                        check(trees, getCurrentPath(), unit, violations);
                        return super.visitMethodInvocation(call, unused);
                    }
                }.scan(unit, null);
            }
            return violations;
        }
    }

    private static void check(Trees trees, TreePath path, CompilationUnitTree unit, List<String> violations) {
        Element called = trees.getElement(path);
        if (!(called instanceof ExecutableElement)) {
            return;
        }
        String owner = ((TypeElement) called.getEnclosingElement()).getQualifiedName().toString();
        if (!owner.startsWith("ai.djl.ndarray.") && !owner.startsWith("ai.djl.pytorch.engine.")) {
            return;
        }
        // NDArray's Number overloads (mul(Number), maximum(Number), ...) and NDManager.create(<scalar>) build
        // a scalar tensor over a direct buffer; int axes, booleans and arrays made in a scope are fine.
        List<? extends VariableElement> parameters = ((ExecutableElement) called).getParameters();
        boolean javaBackedScalar = owner.endsWith("NDManager")
                ? called.getSimpleName().contentEquals("create") && parameters.size() == 1
                        && SCALAR_TYPES.contains(parameters.get(0).asType().toString())
                : parameters.stream().anyMatch(p -> p.asType().toString().equals("java.lang.Number"));
        if (!javaBackedScalar || inNoGraphClass(trees, path)) {
            return;
        }
        long line = unit.getLineMap().getLineNumber(trees.getSourcePositions().getStartPosition(unit, path.getLeaf()));
        violations.add(unit.getSourceFile().getName() + ":" + line + ": " + called);
    }

    private static boolean inNoGraphClass(Trees trees, TreePath path) {
        for (TreePath p = path; p != null; p = p.getParentPath()) {
            Element e = trees.getElement(p);
            if (e instanceof TypeElement && NO_GRAPH.contains(((TypeElement) e).getQualifiedName().toString())) {
                return true;
            }
        }
        return false;
    }

    /** Surefire runs tests from a manifest-only jar; it names the real class path in this property. */
    private static String testClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }
}
