package io.github.djladapters.serving.registry;

import java.util.List;

/**
 * One page of the adapter list.
 *
 * @param adapters the adapters on this page, in registration order
 * @param nextPageToken the token of the next page, or null on the last page
 */
public record AdapterPage(List<AdapterInfo> adapters, String nextPageToken) {}
