package dev.veil.attack;

/**
 * A sequence the attacker ran itself, through the model and the scheme with its own secrets, on public text:
 * what its server saw, with the tokens it knows were there (one per position: BOS, prompt, fed-back answer).
 */
public record LabelledObservation(Observation observation, int[] tokens) {}
