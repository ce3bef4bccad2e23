using System.Text.RegularExpressions;
using DuckDB.NET.Data;

namespace DuckEmbed.Processor;

/// <summary>Opens the input (read-only) and output databases.</summary>
internal static partial class DuckDbConnections
{
    // The output is checkpointed every 1 GB of WAL rather than every 16 MB (DuckDB's default): with rows of ~2 KB
    // (a vector and a text) each checkpoint costs time that grows with the whole table, not with what changed
    // (duckdb/duckdb#7709), so frequent checkpoints made a long run quadratic. 1M rows: 22k rows/s at 256 MB,
    // 39k at 1 GB, with the same peak memory (BENCHMARKS.md). The price: up to 1 GB of WAL beside the output,
    // replayed on the next open after a crash.
    private const string CheckpointThreshold = "1GB";

    // DuckDB needs memory per thread to sort and to write; with one thread per core, a memory limit that is
    // plenty on a laptop runs out on a 64-core server. Two threads read and write far faster than any model embeds.
    private const int Threads = 2;

    public static DuckDBConnection OpenInput(string path, string outputPath, string memoryLimit)
    {
        if (!File.Exists(path))
        {
            throw new EmbeddingJobException($"input_db_path: {path} does not exist.");
        }
        // Read-only: DuckDB writes nothing to the file or a WAL. Sorting a large table may spill; the spill goes
        // beside the output, never beside the input, and not into the output's own <output>.tmp: two databases
        // spilling into one folder overwrite each other's files.
        return Open($"Data Source={path};ACCESS_MODE=READ_ONLY;temp_directory={outputPath}.input.tmp;memory_limit={memoryLimit};threads={Threads}", "input_db_path", path);
    }

    public static DuckDBConnection OpenOutput(string path, string memoryLimit)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            throw new EmbeddingJobException($"output_db_path: the folder {directory} does not exist.");
        }
        return Open($"Data Source={path};memory_limit={memoryLimit};threads={Threads};checkpoint_threshold={CheckpointThreshold}", "output_db_path", path);
    }

    /// <summary>Checks a memory size before DuckDB sees it, whose own error would blame the database file.</summary>
    public static void ValidateMemoryLimit(string memoryLimit)
    {
        if (!MemorySize().IsMatch(memoryLimit))
        {
            throw new EmbeddingJobException($"duckdb_memory_limit must be a size such as 256MB or 2GB, not '{memoryLimit}'.");
        }
    }

    [GeneratedRegex(@"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MemorySize();

    private static DuckDBConnection Open(string connectionString, string setting, string path)
    {
        var connection = new DuckDBConnection(connectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (DuckDBException e)
        {
            connection.Dispose();
            throw new EmbeddingJobException($"{setting}: {path} cannot be opened or created as a DuckDB database: {FirstLine(e.Message)}", e);
        }
    }

    internal static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
