/** Veil trusted node: sessions, KV caches, masking and restoring, sanitizers */
package dev.veil.node;
