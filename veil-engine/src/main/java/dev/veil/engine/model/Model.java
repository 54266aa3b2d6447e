package dev.veil.engine.model;

import dev.veil.engine.tokenizer.Tokenizer;

/**
 * A loaded model: immutable. {@code linear} is null when only the trusted node's part was loaded,
 * {@code node} is null when only the weights server's part was loaded.
 */
public record Model(LlamaConfig config, Tokenizer tokenizer, NodeParams node, LinearWeights linear) {}
