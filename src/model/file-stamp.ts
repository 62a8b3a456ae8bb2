import type fs from "node:fs";

/**
 * A file's on-disk identity: an edit changes mtime, ctime or size; an editor's save-by-rename
 * changes the inode.
 */
export const stampOf = (st: fs.Stats): string => `${st.mtimeMs}:${st.ctimeMs}:${st.size}:${st.ino}`;

/**
 * File times come from a coarse kernel clock (a few milliseconds per tick), so a second save of
 * the same size within one tick of the first leaves the stamp unchanged. A stamp is trusted only
 * once the file's mtime is this much older than the moment it was read (git's "racily clean"
 * rule); until then the content is read again and compared.
 */
export const RACY_MS = 2000;
