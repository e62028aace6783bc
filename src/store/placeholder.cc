namespace shoal::store {}
