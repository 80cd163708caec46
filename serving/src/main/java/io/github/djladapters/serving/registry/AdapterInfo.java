package io.github.djladapters.serving.registry;

/**
 * What DJL Serving's describe and list calls report for one adapter.
 *
 * @param name the adapter's name
 * @param src the folder it is loaded from
 * @param preload whether it is loaded at registration
 * @param pin whether it stays resident (never evicted)
 */
public record AdapterInfo(String name, String src, boolean preload, boolean pin) {}
