// The commit log record codec lives in core/common (record_codec.ts) because the same bytes are
// stored by the store and carried in pull responses to clients; the store re-exports it.
export * from "../common/record_codec.ts";
