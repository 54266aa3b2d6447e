package dev.veil.engine.model;

/**
 * Which part of a model to load: everything, only what the trusted node holds (embedding, norms, qk-norm and
 * bias vectors, tokenizer, config: {@link Model#linear()} is null), or only what the weights server holds
 * (the weight matrices and the config: {@link Model#node()} and {@link Model#tokenizer()} are null).
 */
public enum ModelParts {
    ALL, NODE, WEIGHTS;

    public boolean node() {
        return this != WEIGHTS;
    }

    public boolean weights() {
        return this != NODE;
    }
}
