using System.Diagnostics;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;

namespace DuckEmbed.Bench;

/// <summary>
/// The output side alone, to see where writing goes: windows of 8,192 rows (id, a 430-character text, one of 400
/// vectors) appended and committed as the processor does, with its DuckDB settings but a checkpoint threshold of
/// the caller's choice. Prints every commit that took over 200 ms (the checkpoints) and the totals.
/// </summary>
internal static class AppendProbe
{
    public static void Run(int rows, string checkpointThreshold, IReadOnlyList<float[]> vectors, string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"probe-{Guid.NewGuid():N}.duckdb");
        const int window = 8192;
        var body = new string('x', 430);
        var timer = Stopwatch.StartNew();
        TimeSpan appending = TimeSpan.Zero, committing = TimeSpan.Zero, closing;
        using (var connection = new DuckDBConnection($"Data Source={path};threads=2;memory_limit=256MB;temp_directory={path}.tmp;checkpoint_threshold={checkpointThreshold}"))
        {
            connection.Open();
            using (var create = connection.CreateCommand())
            {
                create.CommandText = $"{JobDatabase.UncompressedFloats}; CREATE TABLE t (id BIGINT, body VARCHAR, v FLOAT[{vectors[0].Length}])";
                create.ExecuteNonQuery();
            }
            for (var w = 0; w < rows / window; w++)
            {
                var start = timer.Elapsed;
                using var transaction = connection.BeginTransaction();
                using (var appender = connection.CreateAppender("t"))
                {
                    for (var i = 0; i < window; i++)
                    {
                        var id = (long)w * window + i;
                        appender.CreateRow().AppendValue(id).AppendValue(body).AppendValue(vectors[(int)(id % vectors.Count)]).EndRow();
                    }
                }
                var appended = timer.Elapsed;
                transaction.Commit();
                var commit = timer.Elapsed - appended;
                appending += appended - start;
                committing += commit;
                if (commit.TotalMilliseconds > 200)
                {
                    Console.WriteLine($"append-probe window={w} rows_so_far={(w + 1) * window} commit_ms={commit.TotalMilliseconds:F0}");
                }
            }
            var beforeClose = timer.Elapsed;
            connection.Close();
            closing = timer.Elapsed - beforeClose;
        }
        var megabytes = new FileInfo(path).Length / 1e6;
        File.Delete(path);
        Console.WriteLine($"append-probe rows={rows / window * window} checkpoint_threshold={checkpointThreshold} seconds={timer.Elapsed.TotalSeconds:F2} " +
            $"append_seconds={appending.TotalSeconds:F2} commit_seconds={committing.TotalSeconds:F2} close_seconds={closing.TotalSeconds:F2} output_mb={megabytes:F0}");
    }
}
