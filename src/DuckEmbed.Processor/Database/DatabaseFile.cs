namespace DuckEmbed.Processor.Database;

/// <summary>
/// Checks on the two database paths made before DuckDB opens either: what kind of file each is, and that nothing
/// the run writes (the output, its write-ahead log, its spill folder) is the input or the input's log.
/// </summary>
internal static class DatabaseFile
{
    private static readonly byte[] DuckDbMagic = "DUCK"u8.ToArray();

    /// <summary>Refuses an input that is missing, a folder, or not a DuckDB database (DuckDB would try another reader).</summary>
    public static void CheckInput(string path)
    {
        if (Directory.Exists(path))
        {
            throw new EmbeddingJobException(JobSetting.InputDatabasePath, $"{path} is a folder, not a DuckDB database file.");
        }
        if (!File.Exists(path))
        {
            throw new EmbeddingJobException(JobSetting.InputDatabasePath, $"{path} does not exist.");
        }
        if (!IsDuckDb(path))
        {
            throw new EmbeddingJobException(JobSetting.InputDatabasePath, $"{path} is not a DuckDB database ({Kind(path)}). The input must be a .duckdb file.");
        }
    }

    /// <summary>
    /// Refuses an output that DuckDB would not open as a database file of its own (an in-memory or remote name, a
    /// folder, an existing file of another kind), and one that reaches the input by any path.
    /// </summary>
    public static void CheckOutput(string outputPath, string? inputPath)
    {
        if (outputPath.StartsWith(":memory:", StringComparison.OrdinalIgnoreCase) || HasUriScheme(outputPath))
        {
            throw new EmbeddingJobException(JobSetting.OutputDatabasePath, $"'{outputPath}' is not a file; DuckEmbed writes to a DuckDB file on disk. Choose a file name such as output.duckdb.");
        }
        var full = Path.GetFullPath(outputPath);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new EmbeddingJobException(JobSetting.OutputDatabasePath, $"The folder {folder} does not exist.");
        }
        if (Directory.Exists(full))
        {
            throw new EmbeddingJobException(JobSetting.OutputDatabasePath, $"{full} is a folder, not a DuckDB database file.");
        }
        foreach (var written in new[] { full, full + ".wal", full + ".tmp" })
        {
            foreach (var read in inputPath is null ? [] : new[] { inputPath, inputPath + ".wal" })
            {
                if (FileIdentity.SameFile(written, read))
                {
                    throw new EmbeddingJobException(JobSetting.OutputDatabasePath, written == full && read == inputPath
                        ? $"The output is the input database ({full} and {inputPath} are the same file); the input is never written. Choose another file."
                        : $"{written}, which the run would write, is the same file as {read}; the input is never written. Choose another output file.");
                }
            }
        }
        if (File.Exists(full) && new FileInfo(full).Length > 0 && !IsDuckDb(full))
        {
            throw new EmbeddingJobException(JobSetting.OutputDatabasePath,
                $"{full} exists and is not a DuckDB database ({Kind(full)}); DuckEmbed never overwrites other files. Choose a new file name.");
        }
    }

    // DuckDB's file header: an 8-byte checksum, then the magic "DUCK".
    private static bool IsDuckDb(string path) => Header(path, 12) is { Length: 12 } header && header.AsSpan(8, 4).SequenceEqual(DuckDbMagic);

    private static string Kind(string path)
    {
        var header = Header(path, 16);
        return header switch
        {
            null => "it cannot be read",
            [] => "it is empty",
            _ when header.AsSpan().StartsWith("SQLite format 3"u8) => "it is an SQLite database",
            _ when header.AsSpan().StartsWith("PAR1"u8) => "it is a Parquet file",
            _ => "its first bytes are not DuckDB's",
        };
    }

    private static byte[]? Header(string path, int length)
    {
        try
        {
            using var file = File.OpenRead(path);
            var header = new byte[Math.Min(length, file.Length)];
            file.ReadExactly(header);
            return header;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // "md:db", "s3://bucket/x", "https://…" are read by DuckDB extensions, not as local files; "C:\x" is a Windows path.
    private static bool HasUriScheme(string path)
    {
        var colon = path.IndexOf(':', StringComparison.Ordinal);
        return colon > 1 && path[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
    }
}
