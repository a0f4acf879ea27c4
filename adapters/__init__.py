"""Chat platforms: each turns a neutral Digest into its own messages."""
