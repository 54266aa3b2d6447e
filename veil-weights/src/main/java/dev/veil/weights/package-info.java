/** Veil weights server: the untrusted side; never depends on veil-node */
package dev.veil.weights;
