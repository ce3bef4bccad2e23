using System.Diagnostics;
using DuckDB.NET.Data;
using DuckEmbed.Processor;
using DuckEmbed.Processor.Database;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Bench;

/// <summary>
/// The processor alone: corpus-like rows from an input DuckDB to an output DuckDB with a zero-cost generator
/// (<see cref="RecycledVectorGenerator"/>).
/// Prints rows/s and the process's peak resident memory; run once per size in a fresh process to compare memory.
/// </summary>
internal static class ProcessorBenchmark
{
    public static async Task RunAsync(int rows, int batchSize, IReadOnlyList<float[]> vectors, VectorColumnType vectorType, string folder,
        VectorPrecision precision = VectorPrecision.Float32)
    {
        var (input, output) = PrepareInput(rows, folder);
        var job = Job(input, output) with { VectorType = vectorType, WindowSize = batchSize * 32, VectorPrecision = precision };
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var timer = Stopwatch.StartNew();
        var summary = await EmbeddingProcessor.ProcessAsync(job, new RecycledVectorGenerator(vectors), NullLogger.Instance);
        timer.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var megabytes = new FileInfo(output).Length / 1e6;
        var peak = PeakRssMegabytes();
        cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var ctas = CtasSeconds(output, "embedded", folder);
        var ctasCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        File.Delete(output);
        Console.WriteLine($"processor-alone rows={summary.RowsWritten} batch={batchSize} writers={job.Writers} vectors={vectorType} precision={VectorPrecisionNames.Name(precision)} seconds={timer.Elapsed.TotalSeconds:F2} " +
            $"rows_per_s={summary.RowsWritten / timer.Elapsed.TotalSeconds:F0} peak_rss_mb={peak:F0} output_mb={megabytes:F0} " +
            $"ctas_seconds={ctas:F2} ratio_to_ctas={ctas / timer.Elapsed.TotalSeconds:F2} " +
            $"cpu_us_per_row={cpu * 1e6 / summary.RowsWritten:F1} ctas_cpu_us_per_row={ctasCpu * 1e6 / summary.RowsWritten:F1} " +
            $"cores_busy={cpu / timer.Elapsed.TotalSeconds:F2} ctas_cores_busy={ctasCpu / ctas:F2}");
    }

    /// <summary>
    /// The yardstick: DuckDB's own bulk write of the same rows, one <c>CREATE TABLE … AS SELECT</c> from
    /// <paramref name="table"/> in <paramref name="source"/> into a new file with the instance's defaults (a thread per
    /// core) and the output's settings (memory limit, floats uncompressed), through its checkpoint.
    /// </summary>
    public static double CtasSeconds(string source, string table, string folder)
    {
        var copy = Path.Combine(folder, $"ctas-{Guid.NewGuid():N}.duckdb");
        var timer = Stopwatch.StartNew();
        using (var connection = new DuckDBConnection($"Data Source={copy};memory_limit={EmbeddingJob.DefaultDuckDbMemoryLimit}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"ATTACH '{source}' AS source (READ_ONLY); {JobDatabase.UncompressedFloats}; " +
                $"CREATE TABLE copy AS SELECT * FROM source.{table}; DETACH source; CHECKPOINT";
            command.ExecuteNonQuery();
        }
        var seconds = timer.Elapsed.TotalSeconds;
        File.Delete(copy);
        return seconds;
    }

    /// <summary>
    /// What a resume costs: a run stopped 1 % before the end (max_rows), then the run that finishes it (checking the
    /// rows present against the input, then the anti-join), then the finished run again.
    /// </summary>
    public static async Task RunResumeAsync(int rows, IReadOnlyList<float[]> vectors, string folder)
    {
        var (input, output) = PrepareInput(rows, folder);
        var job = Job(input, output);
        await EmbeddingProcessor.ProcessAsync(job with { MaxRows = rows - rows / 100 }, new RecycledVectorGenerator(vectors), NullLogger.Instance);
        var timer = Stopwatch.StartNew();
        var resumed = await EmbeddingProcessor.ProcessAsync(job, new RecycledVectorGenerator(vectors), NullLogger.Instance);
        var resumeSeconds = timer.Elapsed.TotalSeconds;
        timer.Restart();
        await EmbeddingProcessor.ProcessAsync(job, new RecycledVectorGenerator(vectors), NullLogger.Instance);
        var againSeconds = timer.Elapsed.TotalSeconds;
        File.Delete(output);
        Console.WriteLine($"resume rows={rows} present={resumed.RowsAlreadyPresent} written={resumed.RowsWritten} resume_seconds={resumeSeconds:F2} finished_again_seconds={againSeconds:F2}");
    }

    /// <summary>
    /// What <c>embed search</c> costs on ROWS rows, the model aside: the processor writes the output, then three
    /// searches (query embedding is free here) each rank every row; prints each time.
    /// </summary>
    public static async Task RunSearchAsync(int rows, IReadOnlyList<float[]> vectors, string folder)
    {
        var (input, output) = PrepareInput(rows, folder);
        var job = Job(input, output);
        await EmbeddingProcessor.ProcessAsync(job, new RecycledVectorGenerator(vectors), NullLogger.Instance);
        var seconds = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var timer = Stopwatch.StartNew();
            var hits = await EmbeddingSearch.SearchAsync(job, new RecycledVectorGenerator(vectors), "query", 10);
            seconds.Add(timer.Elapsed.TotalSeconds);
            if (hits.Count != 10 || hits[0].Score < 0.9999)
            {
                throw new InvalidOperationException($"search found {hits.Count} rows, the first at {(hits.Count > 0 ? hits[0].Score : double.NaN)}");
            }
        }
        File.Delete(output);
        Console.WriteLine($"search rows={rows} k=10 seconds={string.Join("/", seconds.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    /// <summary>
    /// The processor split into <paramref name="shardCount"/> shards run one after another (as many machines would
    /// run them side by side), then the merge: prints the shards' rows/s and the merge's time.
    /// </summary>
    public static async Task RunShardsAsync(int rows, int shardCount, IReadOnlyList<float[]> vectors, string folder)
    {
        var (input, output) = PrepareInput(rows, folder);
        var job = Job(input, output);
        var timer = Stopwatch.StartNew();
        for (var index = 0; index < shardCount; index++)
        {
            var shard = new ShardSelection(index, shardCount);
            await EmbeddingProcessor.ProcessAsync(job with { Shard = shard, OutputDatabasePath = shard.PathFor(output) },
                new RecycledVectorGenerator(vectors), NullLogger.Instance);
        }
        var shardSeconds = timer.Elapsed.TotalSeconds;
        timer.Restart();
        ShardMerger.Merge(job, shardCount, NullLogger.Instance);
        var mergeSeconds = timer.Elapsed.TotalSeconds;
        foreach (var file in Directory.GetFiles(folder, Path.GetFileNameWithoutExtension(output) + "*"))
        {
            File.Delete(file);
        }
        Console.WriteLine($"shards rows={rows} shards={shardCount} shard_seconds={shardSeconds:F2} shard_rows_per_s={rows / shardSeconds:F0} merge_seconds={mergeSeconds:F2}");
    }

    private static EmbeddingJob Job(string input, string output) => new()
    {
        InputDatabasePath = input, OutputDatabasePath = output, InputTable = "docs", IdColumn = "id",
        TextColumn = "body", OutputTable = "embedded",
        // 32 batches of 256, as the CLI makes them for BATCH_SIZE=256.
        WindowSize = 256 * 32,
        Writers = int.TryParse(Environment.GetEnvironmentVariable("WRITERS"), out var writers) ? writers : EmbeddingJob.DefaultWriters,
    };

    private static (string Input, string Output) PrepareInput(int rows, string folder)
    {
        Directory.CreateDirectory(folder);
        var input = Path.Combine(folder, $"input-{rows}.duckdb");
        var output = Path.Combine(folder, $"output-{rows}-{Guid.NewGuid():N}.duckdb");
        if (!File.Exists(input))
        {
            using var connection = new DuckDBConnection($"Data Source={input}");
            connection.Open();
            using var command = connection.CreateCommand();
            // ~400 characters a row, like the corpus' mean; ids shuffled on disk so ORDER BY has work to do.
            command.CommandText = $"""
                CREATE TABLE docs AS SELECT i AS id, repeat('lorem ipsum dolor sit amet ', 15) || i AS body
                FROM range({rows}) t(i) ORDER BY hash(i)
                """;
            command.ExecuteNonQuery();
        }
        return (input, output);
    }

    /// <summary>
    /// DuckDB's own cost for the same work, without .NET: one INSERT … SELECT of the input's rows, in id order,
    /// each with one of <paramref name="vectors"/> in turn, into a new file, then a checkpoint. The processor cannot beat it.
    /// </summary>
    public static void RunDuckDbFloor(int rows, IReadOnlyList<float[]> vectors, string folder)
    {
        var input = Path.Combine(folder, $"input-{rows}.duckdb");
        var output = Path.Combine(folder, $"floor-{rows}-{Guid.NewGuid():N}.duckdb");
        var timer = Stopwatch.StartNew();
        using (var connection = new DuckDBConnection($"Data Source={output};threads=2"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TEMP TABLE pool (k BIGINT, v FLOAT[])";
            command.ExecuteNonQuery();
            using (var appender = connection.CreateAppender("temp", "main", "pool"))
            {
                for (var k = 0; k < vectors.Count; k++)
                {
                    appender.CreateRow().AppendValue((long)k).AppendValue(vectors[k]).EndRow();
                }
            }
            command.CommandText = $"""
                ATTACH '{input}' AS source (READ_ONLY);
                {JobDatabase.UncompressedFloats};
                CREATE TABLE embedded (id BIGINT, body VARCHAR, vector FLOAT[{vectors[0].Length}]);
                INSERT INTO embedded SELECT id, body, v::FLOAT[{vectors[0].Length}] FROM source.docs JOIN pool ON k = id % {vectors.Count} ORDER BY id;
                CHECKPOINT;
                """;
            command.ExecuteNonQuery();
        }
        timer.Stop();
        var megabytes = new FileInfo(output).Length / 1e6;
        File.Delete(output);
        Console.WriteLine($"duckdb-floor rows={rows} seconds={timer.Elapsed.TotalSeconds:F2} rows_per_s={rows / timer.Elapsed.TotalSeconds:F0} output_mb={megabytes:F0}");
    }

    public static double PeakRssMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
