package io.twotower.job.cli;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The defaults reach the process environment that libgomp and libtorch read, and a user's choice is kept. */
class LibtorchEnvironmentTest {
    @Test
    void setsEachDefaultUnlessTheUserSetIt() {
        Map<String, String> before = System.getenv();
        Map<String, String> effective = LibtorchEnvironment.applyDefaults();
        assertThat(effective.keySet()).containsExactly("OMP_WAIT_POLICY", "THP_MEM_ALLOC_ENABLE");
        effective.forEach((k, v) -> assertThat(v).as(k)
                .isEqualTo(before.containsKey(k) ? before.get(k) : LibtorchEnvironment.DEFAULTS.get(k)));
        // Idempotent: a second call changes nothing.
        assertThat(LibtorchEnvironment.applyDefaults()).isEqualTo(effective);
    }
}
