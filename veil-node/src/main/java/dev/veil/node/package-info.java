/**
 * The trusted node: holds what needs no linear weights (embedding, norms, tokenizer, config), every session's
 * KV cache and every secret. Each protection scheme lives in a package of its own ({@code remo}, {@code otp},
 * {@code cmif}); this package holds what they share.
 */
package dev.veil.node;
