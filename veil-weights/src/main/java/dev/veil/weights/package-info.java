/**
 * The weights server: the untrusted side of Talaria. It holds the linear weights and multiplies whatever
 * rows it is sent by them: public bases at setup, masked activations per call. It depends on the engine and
 * the protocol only, never on the trusted node, so masks, seeds, prompts and KV caches cannot reach it.
 */
package dev.veil.weights;
