using System.Globalization;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Input;

namespace DuckEmbed.Processor.Database;

/// <summary>
/// One DuckDB instance for a run, with the input attached read-only and the output attached read-write. With both
/// in one instance, resuming and checking the input are SQL over both tables in their own types and collations
/// (no id ever has to survive a trip through .NET to be compared), and the input can be checked before the output
/// file is created. Connections: the writer (this object) and readers made with <see cref="OpenReader"/>.
/// </summary>
internal sealed class JobDatabase : IDisposable
{
    /// <summary>The input's catalog name in SQL.</summary>
    public const string InputCatalog = "duckembed_input";

    /// <summary>The output's catalog name in SQL; every connection uses it as its default.</summary>
    public const string OutputCatalog = "duckembed_output";

    // The output is checkpointed every 1 GB of WAL rather than every 16 MB (DuckDB's default): with rows of ~2 KB
    // (a vector and a text) each checkpoint costs time that grows with the whole table, not with what changed
    // (duckdb/duckdb#7709), so frequent checkpoints made a long run quadratic. 1M rows: 22k rows/s at 256 MB,
    // 39k at 1 GB, with the same peak memory (BENCHMARKS.md). The price: up to 1 GB of WAL beside the output,
    // replayed on the next open after a crash.
    private const string CheckpointThreshold = "1GB";

    /// <summary>The most write-ahead log DuckDB keeps beside the output (<see cref="CheckpointThreshold"/>).</summary>
    public const long WalLimitBytes = 1L << 30;

    // DuckDB needs memory per thread to sort and to write; with one thread per core, a memory limit that is
    // plenty on a laptop runs out on a 64-core server. Two threads read and write far faster than any model embeds.
    private const int Threads = 2;

    /// <summary>The setting that keeps the output's floats uncompressed (see <see cref="Open"/>).</summary>
    internal const string UncompressedFloats = "SET disabled_compression_methods = 'alp,alprd'";

    // Below this DuckDB cannot hold the blocks it needs to sort the input and write the output.
    private const long MinimumMemoryLimitBytes = 32L << 20;

    private readonly DuckDBConnection _connection;
    private bool _outputAttached;

    private JobDatabase(DuckDBConnection connection) => _connection = connection;

    /// <summary>The writer's connection (the output is its default catalog once attached).</summary>
    public DuckDBConnection Connection => _connection;

    /// <summary>Opens an instance of its own and attaches the input read-only; the output is not touched yet.</summary>
    public static JobDatabase OpenInput(string inputPath, string outputPath, string memoryLimit)
    {
        DatabaseFile.CheckInput(inputPath);
        var database = Open(outputPath, memoryLimit);
        try
        {
            database.Attach(inputPath, InputCatalog, readOnly: true, JobSetting.InputDatabasePath);
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>Opens an instance of its own with an existing output attached read-only, and no input.</summary>
    public static JobDatabase OpenExistingOutput(string outputPath, string memoryLimit)
    {
        var database = Open(outputPath, memoryLimit);
        try
        {
            database.AttachExistingOutput(outputPath, inputPath: null);
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    private static JobDatabase Open(string outputPath, string memoryLimit)
    {
        ValidateMemoryLimit(memoryLimit);
        // An in-memory main database (no file of its own), so both files are ATTACHed and the output can wait.
        // Spills go beside the output, never beside the input.
        var builder = new DuckDBConnectionStringBuilder { DataSource = DuckDBConnectionStringBuilder.InMemoryDataSource };
        builder["memory_limit"] = memoryLimit;
        builder["threads"] = Threads.ToString(CultureInfo.InvariantCulture);
        builder["checkpoint_threshold"] = CheckpointThreshold;
        builder["temp_directory"] = Path.GetFullPath(outputPath) + ".tmp";
        var connection = new DuckDBConnection(builder.ConnectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // Embedding floats are stored uncompressed: DuckDB's float compression (ALPRD) saves little on them and
            // gives each segment of ~42,000 floats a block of its own, so files came out 1.5 × larger (241 MB against
            // 155 MB for 100,000 FLOAT[384] rows) and writing took longer (BENCHMARKS.md). A column option cannot say
            // this for FLOAT[N] (DuckDB refuses compression choices on arrays), so it is said for the instance, which
            // writes only the output. Texts and ids keep their compression.
            command.CommandText = UncompressedFloats;
            command.ExecuteNonQuery();
            return new JobDatabase(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Attaches the output read-write (creating the file) after checking that it is not the input by any path and
    /// not some other kind of file, and that DuckDB keeps it on disk.
    /// </summary>
    public void AttachOutput(string outputPath, string inputPath) => AttachOutput(outputPath, inputPath, readOnly: false);

    /// <summary>Attaches an existing output read-only, to check or search it.</summary>
    public void AttachExistingOutput(string outputPath, string? inputPath)
    {
        if (!File.Exists(outputPath))
        {
            throw new EmbeddingJobException(JobSetting.OutputDatabasePath, $"{Path.GetFullPath(outputPath)} does not exist; embed the input first.");
        }
        AttachOutput(outputPath, inputPath, readOnly: true);
    }

    private void AttachOutput(string outputPath, string? inputPath, bool readOnly)
    {
        DatabaseFile.CheckOutput(outputPath, inputPath);
        Attach(outputPath, OutputCatalog, readOnly, JobSetting.OutputDatabasePath);
        _outputAttached = true;
        Use(_connection);
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT path FROM duckdb_databases() WHERE database_name = $name";
        command.Parameters.Add(new DuckDBParameter("name", OutputCatalog));
        if (command.ExecuteScalar() is not string path || !FileIdentity.SameFile(path, outputPath))
        {
            throw new EmbeddingJobException(JobSetting.OutputDatabasePath, $"DuckDB did not open {outputPath} as a database file on disk. Choose a file name such as output.duckdb.");
        }
    }

    /// <summary>Attaches another database read-only under <paramref name="catalog"/> (a shard file, for the merge).</summary>
    public void AttachReadOnly(string path, string catalog, JobSetting setting) => Attach(path, catalog, readOnly: true, setting);

    /// <summary>
    /// As <see cref="AttachReadOnly"/>, but <c>false</c> where another process has the file open for writing (DuckDB
    /// then lets nobody else open it): a shard that is still running.
    /// </summary>
    public bool TryAttachReadOnly(string path, string catalog, JobSetting setting)
    {
        try
        {
            Attach(path, catalog, readOnly: true, setting);
            return true;
        }
        catch (EmbeddingJobException e) when (e.InnerException is DuckDBException inner && IsLockConflict(inner))
        {
            return false;
        }
    }

    /// <summary>
    /// The input of <paramref name="job"/> (all of it, whatever its shard) opened read-only and inspected, for a look at
    /// the job's files that writes nothing (status, merge checks); the output path is checked not to be the input.
    /// </summary>
    public static JobDatabase OpenForReading(EmbeddingJob job, out InputTable input)
    {
        var inputPath = Path.GetFullPath(job.InputDatabasePath);
        DatabaseFile.CheckOutput(job.OutputDatabasePath, inputPath);
        var database = OpenInput(inputPath, job.OutputDatabasePath, job.DuckDbMemoryLimit);
        try
        {
            input = InputTable.Inspect(database.Connection, job with { Shard = null });
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>The count a <c>SELECT count(*) …</c> gives.</summary>
    public static long Count(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a statement that returns no rows; returns the rows it changed.</summary>
    public static int Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    /// <summary>Another connection to the same instance, for reading while the writer commits.</summary>
    public DuckDBConnection OpenReader()
    {
        var reader = _connection.Duplicate();
        try
        {
            reader.Open();
            if (_outputAttached)
            {
                Use(reader);
            }
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Checks a memory size before DuckDB sees it, whose own error would blame a database file.</summary>
    public static void ValidateMemoryLimit(string memoryLimit)
    {
        var bytes = ByteSize.Parse(memoryLimit)
            ?? throw new EmbeddingJobException(JobSetting.DuckDbMemoryLimit, $"The DuckDB memory limit must be a size such as 256MB or 2GB, not '{memoryLimit}'.");
        if (bytes < MinimumMemoryLimitBytes)
        {
            throw new EmbeddingJobException(JobSetting.DuckDbMemoryLimit, $"A DuckDB memory limit of {memoryLimit.Trim()} is too small: DuckDB needs at least 32MB to sort and write. Use 256MB or more.");
        }
    }

    public void Dispose() => _connection.Dispose();

    internal static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    // A single-quoted SQL string: ATTACH takes no parameters. Quotes are doubled, so a path stays a path.
    private static string StringLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private void Attach(string path, string catalog, bool readOnly, JobSetting setting)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"ATTACH {StringLiteral(Path.GetFullPath(path))} AS {catalog} (TYPE DUCKDB{(readOnly ? ", READ_ONLY" : "")})";
        try
        {
            command.ExecuteNonQuery();
        }
        catch (DuckDBException e)
        {
            var hint = !IsLockConflict(e) ? ""
                : readOnly ? " Another program has it open for writing; close that program (readers may share it)."
                : " Another program (or another run) has it open; wait for it or choose another output file.";
            throw new EmbeddingJobException(setting, $"{path} cannot be opened {(readOnly ? "" : "or created ")}as a DuckDB database: {FirstLine(e.Message)}{hint}", e);
        }
    }

    private static bool IsLockConflict(DuckDBException e) => e.Message.Contains("lock", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Leaves the writing to the writers' own threads: each appends on the thread that calls it, and DuckDB's worker
    /// threads only busy-wait beside them while the read streams (1M rows, two writers: 61k rows/s with one thread,
    /// 54k with two). Set once the output is prepared, so that the checks before it keep both threads.
    /// </summary>
    public void UseWritersThreadsOnly() => Execute(_connection, "SET threads = 1");

    /// <summary>
    /// Gives DuckDB <paramref name="threads"/> threads for a parallel insert, and lets it insert rows in any order
    /// (DuckDB inserts from a table function in one thread while it keeps the order; the output's order is its ids').
    /// </summary>
    public void UseThreadsForParallelInsert(int threads) =>
        Execute(_connection, $"SET threads = {threads.ToString(CultureInfo.InvariantCulture)}; SET preserve_insertion_order = false");

    /// <summary>Moves the output's write-ahead log into its file (DuckDB would do it as the database closes).</summary>
    public void Checkpoint()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"CHECKPOINT {OutputCatalog}";
        command.ExecuteNonQuery();
    }

    private static void Use(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"USE {OutputCatalog}";
        command.ExecuteNonQuery();
    }
}
