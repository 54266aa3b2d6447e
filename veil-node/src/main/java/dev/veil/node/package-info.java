/**
 * The trusted node: holds what needs no linear weights (embedding, norms, tokenizer, config), every
 * session's KV cache and all ReMO secrets; runs every weight-free operation and outsources each linear layer
 * to a weights server behind a fresh mask ({@link dev.veil.node.MaskedLinear}).
 */
package dev.veil.node;
