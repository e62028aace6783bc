// placeholder until the API server lands
