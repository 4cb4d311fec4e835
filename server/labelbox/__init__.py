"""Pure translation of what the Labelbox SDK sends (search queries, export params, stream offsets) into our terms."""
