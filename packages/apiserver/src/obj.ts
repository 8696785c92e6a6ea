/**
 * An API object as the server handles it internally: already checked against its schema at the
 * boundary (decode), then read and written dynamically by the generic REST code.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Obj { metadata: Record<string, any>; [key: string]: any }
