/** Veil attack lab: the curious weights server's attacks and privacy metrics */
package dev.veil.attack;
