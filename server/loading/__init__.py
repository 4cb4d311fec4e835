"""Page loading: keyset pages of data rows plus one batched query per related table, assembled in export shape."""
