import { describe, expect, it } from "vitest";
import { MooseError, filesystemError, onDisk } from "../../src/errors";

const errno = (code: string, p = "/x/migrations"): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: something, open '${p}'`), { code, syscall: "open", path: p });

describe("file-system errors are the user's to fix, never INTERNAL", () => {
  it.each([
    ["ENOTDIR", "a part of the path is a file"],
    ["EISDIR", "it is a directory"],
    ["EACCES", "permission denied"],
    ["EPERM", "operation not permitted"],
    ["EROFS", "the file system is read-only"],
    ["ENOSPC", "no space left"],
  ])("%s: FILESYSTEM_ERROR with the path, the reason and a hint", (code, reason) => {
    const e = filesystemError(errno(code), "write the migration file");
    expect(e).toBeInstanceOf(MooseError);
    const m = e as MooseError;
    expect(m.code).toBe("FILESYSTEM_ERROR");
    expect(m.exitCode).toBe(1);
    expect(m.message).toBe(
      `Cannot write the migration file /x/migrations: ${reason}${m.message.slice(m.message.indexOf(reason) + reason.length)}`,
    );
    expect(m.message).toContain(`(${code})`);
    expect(m.hint).toContain("/x/migrations");
  });

  it("anything else passes through unchanged (a bug stays a bug)", () => {
    const bug = new TypeError("x is undefined");
    expect(filesystemError(bug, "read")).toBe(bug);
    expect(() =>
      onDisk("read", "/p", () => {
        throw errno("ENOSPC", "/p");
      }),
    ).toThrow(/Cannot read \/p: no space left on the device \(ENOSPC\)/);
  });
});
