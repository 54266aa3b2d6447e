package dev.veil.service;

import dev.veil.engine.inference.Sampler;
import dev.veil.node.TrustedNode;

/** A completion request as read and checked, before it runs: whose it is and what it asks. */
record CheckedRequest(String tenant, CompletionRequest request, TrustedNode node, Prompt prompt, int maxTokens, Sampler sampler) {}
