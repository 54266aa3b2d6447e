/** Veil JMH benchmarks */
package dev.veil.bench;
