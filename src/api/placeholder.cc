namespace shoal::api {}
