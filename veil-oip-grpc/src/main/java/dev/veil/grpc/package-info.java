package dev.veil.grpc;
