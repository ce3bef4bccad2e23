using System.Globalization;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor;

/// <summary>
/// Puts the shard files of a job (<see cref="ShardSelection"/>) together into the job's output table. It checks
/// first that every shard file is there and complete (its rows are all of its shard's input rows) and that all were
/// made with the same model and settings, naming what is missing; then copies each shard in one transaction, skipping
/// ids already in the output, so a merge stopped at any moment and run again ends with every row exactly once.
/// </summary>
public static class ShardMerger
{
    /// <summary>How far each shard of <paramref name="job"/> is: rows done against its rows in the input.</summary>
    /// <exception cref="EmbeddingJobException">The input cannot be read, or the shard count is below 1.</exception>
    public static IReadOnlyList<ShardStatus> Status(EmbeddingJob job, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var database = OpenInput(job, shardCount, out var input);
        return [.. Inspect(database, input, job, shardCount).Select(s => s.Status)];
    }

    /// <summary>Merges the <paramref name="shardCount"/> shards of <paramref name="job"/> into its output.</summary>
    /// <returns>Rows the output holds at the end (every input row).</returns>
    /// <exception cref="EmbeddingJobException">A shard is missing, incomplete or made otherwise; the message names it.</exception>
    public static long Merge(EmbeddingJob job, int shardCount, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(logger);
        using var database = OpenInput(job, shardCount, out var input);
        var shards = Inspect(database, input, job, shardCount);
        var missing = shards.Where(s => !s.Status.Exists).Select(s => s.Status.Path).ToList();
        if (missing.Count > 0)
        {
            throw new EmbeddingJobException(JobSetting.Shard, $"{missing.Count} of {shardCount} shard files are missing: {string.Join(", ", missing)}. Run those shards first.");
        }
        var problems = new List<string>();
        foreach (var shard in shards)
        {
            var (index, path, _, done, expected) = shard.Status;
            if (shard.Table is null)
            {
                problems.Add($"{path} has no table {job.OutputTable}");
                continue;
            }
            if (done != expected)
            {
                problems.Add($"shard {index} ({path}) has {done:N0} of its {expected:N0} rows");
            }
            if (shard.StrayRows > 0)
            {
                problems.Add($"shard {index} ({path}) holds {shard.StrayRows:N0} rows of other shards");
            }
            if (shard.Record.GetValueOrDefault(OutputProvenance.ShardCountKey) != shardCount.ToString(CultureInfo.InvariantCulture))
            {
                problems.Add($"shard {index} ({path}) was made for {shard.Record.GetValueOrDefault(OutputProvenance.ShardCountKey) ?? "no"} shards, not {shardCount}");
            }
        }
        var settings = shards.Where(s => s.Table is not null).Select(s => WithoutShardKeys(s.Record)).ToList();
        for (var i = 1; i < settings.Count; i++)
        {
            foreach (var difference in OutputProvenance.Differences(settings[0], settings[i]))
            {
                problems.Add($"shard {i} was made otherwise than shard 0 ({difference})");
            }
        }
        if (problems.Count > 0)
        {
            throw new EmbeddingJobException(JobSetting.Shard, $"The shards cannot be merged: {string.Join("; ", problems)}.");
        }

        var connection = database.Connection;
        database.AttachOutput(job.OutputDatabasePath, Path.GetFullPath(job.InputDatabasePath));
        CreateTarget(connection, job.OutputTable, shards[0].Table!, settings[0]);
        var target = SqlIdentifier.Quote(job.OutputTable);
        var id = SqlIdentifier.Quote(input.IdColumn);
        foreach (var shard in shards)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var transaction = connection.BeginTransaction();
            var copied = Execute(connection, $"INSERT INTO {target} SELECT s.* FROM {shard.Table} AS s ANTI JOIN {target} AS o ON o.{id} = s.{id}");
            transaction.Commit();
            logger.LogInformation("Merged shard {Index}: {Rows} rows", shard.Status.Index, copied);
        }
        var rows = Count(connection, $"SELECT count(*) FROM {target}");
        var distinct = Count(connection, $"SELECT count(DISTINCT {id}) FROM {target}");
        if (rows != input.RowCount || distinct != rows)
        {
            throw new InvalidOperationException($"After the merge {job.OutputTable} holds {rows} rows ({distinct} distinct ids) for {input.RowCount} input rows.");
        }
        return rows;
    }

    private static JobDatabase OpenInput(EmbeddingJob job, int shardCount, out InputTable input)
    {
        if (shardCount < 1)
        {
            throw new EmbeddingJobException(JobSetting.Shard, $"The shard count must be at least 1, not {shardCount}.");
        }
        var inputPath = Path.GetFullPath(job.InputDatabasePath);
        DatabaseFile.CheckOutput(job.OutputDatabasePath, inputPath);
        var database = JobDatabase.OpenInput(inputPath, job.OutputDatabasePath, job.DuckDbMemoryLimit);
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

    /// <summary>What one shard file holds, attached read-only as <c>duckembed_shard_I</c>.</summary>
    private sealed record ShardFile(ShardStatus Status, string? Table, long StrayRows, Dictionary<string, string> Record);

    private static List<ShardFile> Inspect(JobDatabase database, InputTable input, EmbeddingJob job, int shardCount)
    {
        var connection = database.Connection;
        var id = SqlIdentifier.Quote(input.IdColumn);
        var rowsPerShard = RowsPerShard(connection, input, shardCount);
        var files = new List<ShardFile>();
        for (var index = 0; index < shardCount; index++)
        {
            var shard = new ShardSelection(index, shardCount);
            var path = shard.PathFor(job.OutputDatabasePath);
            var expected = rowsPerShard.GetValueOrDefault(index);
            if (!File.Exists(path))
            {
                files.Add(new ShardFile(new ShardStatus(index, path, false, 0, expected), null, 0, []));
                continue;
            }
            var catalog = $"duckembed_shard_{index}";
            database.AttachReadOnly(path, catalog, JobSetting.Shard);
            var columns = OutputTable.ReadColumns(connection, job.OutputTable, catalog);
            if (columns.Count == 0)
            {
                files.Add(new ShardFile(new ShardStatus(index, path, true, 0, expected), null, 0, []));
                continue;
            }
            var table = $"{catalog}.main.{SqlIdentifier.Quote(columns[0].Table)}";
            var done = Count(connection, $"SELECT count(*) FROM {table} AS s SEMI JOIN {input.QualifiedName} AS i ON s.{id} = i.{id} WHERE {shard.Condition($"s.{id}")}");
            var stray = Count(connection, $"SELECT count(*) FROM {table} AS s WHERE NOT ({shard.Condition($"s.{id}")})");
            files.Add(new ShardFile(new ShardStatus(index, path, true, done, expected), table, stray,
                new OutputProvenance(connection, columns[0].Table, catalog).Read()));
        }
        return files;
    }

    // Every shard's input rows in one pass over the input, not one pass per shard.
    private static Dictionary<int, long> RowsPerShard(DuckDBConnection connection, InputTable input, int shardCount)
    {
        using var command = connection.CreateCommand();
        var id = SqlIdentifier.Quote(input.IdColumn);
        command.CommandText = $"SELECT {ShardSelection.ShardOf(id, shardCount)} AS shard, count(*) FROM {input.QualifiedName} GROUP BY shard";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<int, long>();
        while (reader.Read())
        {
            rows[Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture)] = reader.GetInt64(1);
        }
        return rows;
    }

    private static Dictionary<string, string> WithoutShardKeys(Dictionary<string, string> record) =>
        record.Where(kv => kv.Key is not (OutputProvenance.ShardIndexKey or OutputProvenance.ShardCountKey or OutputProvenance.ShardHashKey))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    // The merged table: the shards' columns and types, and their record without the shard keys. An existing one (an
    // earlier merge, stopped) must carry the same record.
    private static void CreateTarget(DuckDBConnection connection, string name, string firstShard, Dictionary<string, string> record)
    {
        using var transaction = connection.BeginTransaction();
        var provenance = new OutputProvenance(connection, name);
        provenance.EnsureTable();
        if (OutputTable.ReadColumns(connection, name).Count == 0)
        {
            Execute(connection, $"CREATE TABLE {SqlIdentifier.Quote(name)} AS SELECT * FROM {firstShard} LIMIT 0");
            provenance.Write(record);
        }
        else if (OutputProvenance.Differences(provenance.Read(), record) is { Count: > 0 } differences)
        {
            throw new EmbeddingJobException(JobSetting.OutputTable, $"'{name}' already exists and was made otherwise than the shards ({string.Join("; ", differences)}). Choose another output table or file.");
        }
        transaction.Commit();
    }

    private static long Count(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static int Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }
}
