package io.twotower.job.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The passive OpenMP policy reaches the process environment that libgomp reads, and a user's choice is kept. */
class OpenMpPolicyTest {
    @Test
    void setsPassiveUnlessThePolicyIsSet() {
        String before = System.getenv(OpenMpPolicy.VARIABLE);
        String effective = OpenMpPolicy.preferPassive();
        if (before == null) {
            assertThat(effective).isEqualTo("PASSIVE");
        } else {
            assertThat(effective).as("a policy set by the user stays").isEqualTo(before);
        }
        // Idempotent: a second call changes nothing.
        assertThat(OpenMpPolicy.preferPassive()).isEqualTo(effective);
    }
}
