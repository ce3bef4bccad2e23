using System.Runtime.InteropServices;

namespace DuckEmbed.Processor.Database;

/// <summary>
/// Whether two paths name the same file: after following symbolic links (also dangling ones, which the writer
/// would create), and by device and inode where both exist (hard links, bind mounts, <c>..</c> detours).
/// Comparing path strings is not enough: DuckDB opens whatever file a path reaches.
/// </summary>
internal static partial class FileIdentity
{
    public static bool SameFile(string first, string second)
    {
        if (string.Equals(Canonical(first), Canonical(second), StringComparison.Ordinal))
        {
            return true;
        }
        return DeviceAndInode(first) is { } a && DeviceAndInode(second) is { } b && a == b;
    }

    /// <summary>The absolute path with the file's own links followed and its folder's links resolved.</summary>
    public static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        // 40 hops is Linux's own limit (ELOOP).
        for (var hop = 0; hop < 40 && new FileInfo(full).LinkTarget is { } target; hop++)
        {
            full = Path.GetFullPath(target, Path.GetDirectoryName(full)!);
        }
        var folder = Path.GetDirectoryName(full);
        return folder is null ? full : Path.Combine(RealPath(folder) ?? folder, Path.GetFileName(full));
    }

    private static (ulong Device, ulong Inode)? DeviceAndInode(string path)
    {
        // struct stat starts with st_dev and st_ino, both 64-bit, on Linux x86-64 and arm64 (glibc and musl).
        if (!OperatingSystem.IsLinux() || !Path.Exists(path))
        {
            return null;
        }
        Span<ulong> buffer = stackalloc ulong[64];
        return Stat(path, ref MemoryMarshal.GetReference(buffer)) == 0 ? (buffer[0], buffer[1]) : null;
    }

    private static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        var resolved = NativeRealPath(path, 0);
        if (resolved == 0)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved); // free(3) on Unix
        }
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref ulong buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint NativeRealPath(string path, nint resolved);
}
