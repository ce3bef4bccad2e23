using System.Globalization;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Output;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor;

/// <summary>
/// Puts the shard files of a job (<see cref="ShardSelection"/>) together into the job's output table. It checks
/// first that every shard file is there and complete (its rows are all of its shard's input rows) and that all were
/// made with the same model and settings, that every row is the input's (its id and its text), naming what is not;
/// then copies all shards in one transaction, skipping ids already in the output: a merge that fails or is stopped
/// leaves the output as it was, and one run again after a finished merge changes nothing.
/// </summary>
public static class ShardMerger
{
    /// <summary>How far each shard of <paramref name="job"/> is: rows done against its rows in the input.</summary>
    /// <remarks>A shard whose file another process has open for writing is <see cref="ShardStatus.Running"/>.</remarks>
    /// <exception cref="EmbeddingJobException">The input cannot be read, or the shard count is out of range.</exception>
    public static IReadOnlyList<ShardStatus> Status(EmbeddingJob job, int shardCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var database = OpenInput(job, shardCount, out var input);
        return [.. Inspect(database, input, job, shardCount, cancellationToken).Select(s => s.Status)];
    }

    /// <summary>
    /// Merges the <paramref name="shardCount"/> shards of <paramref name="job"/> into its output, in one transaction:
    /// everything is checked first, and a merge that fails or is stopped leaves the output as it was.
    /// </summary>
    /// <param name="job">The job the shards were made for. With <see cref="EmbeddingJob.Sync"/>, a merged table there already
    /// (from before the input changed) is brought up to date in the same transaction: its rows whose ids are gone or whose
    /// texts changed are deleted, and the shards' rows take their place.</param>
    /// <param name="shardCount">How many shards it was split into.</param>
    /// <param name="logger">Told each shard merged.</param>
    /// <param name="overwrite">Replace an output table that is there already (an earlier merge of other shards or
    /// another input) instead of refusing it.</param>
    /// <param name="cancellationToken">Stops the merge; nothing of it is kept.</param>
    /// <returns>Rows the output holds at the end (every input row).</returns>
    /// <exception cref="EmbeddingJobException">A shard is missing, incomplete or made otherwise, or the output table holds
    /// rows these shards cannot make whole; the message names it, and nothing was written.</exception>
    public static long Merge(EmbeddingJob job, int shardCount, ILogger logger, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(logger);
        using var database = OpenInput(job, shardCount, out var input);
        var shards = Inspect(database, input, job, shardCount, cancellationToken);
        var missing = shards.Where(s => !s.Status.Exists).Select(s => s.Status.Path).ToList();
        if (missing.Count > 0)
        {
            throw new EmbeddingJobException(JobSetting.Shard, $"{missing.Count} of {shardCount} shard files are missing: {string.Join(", ", missing)}. Run those shards first.");
        }
        var problems = new List<string>();
        foreach (var shard in shards)
        {
            var (index, path, _, done, expected) = shard.Status;
            if (shard.Status.Running)
            {
                problems.Add($"shard {index} ({path}) is still being written (another process has it open)");
                continue;
            }
            if (shard.Table is null)
            {
                problems.Add($"{path} has no table {job.OutputTable}");
                continue;
            }
            if (done != expected)
            {
                problems.Add($"shard {index} ({path}) has {done:N0} of its {expected:N0} rows");
            }
            if (shard.Status.Problem is { } problem)
            {
                problems.Add($"shard {index} ({path}) {problem}");
            }
            if (shard.Record.GetValueOrDefault(OutputProvenance.ShardCountKey) != shardCount.ToString(CultureInfo.InvariantCulture))
            {
                problems.Add($"shard {index} ({path}) was made for {shard.Record.GetValueOrDefault(OutputProvenance.ShardCountKey) ?? "no"} shards, not {shardCount}");
            }
            if (VectorEncoding.PrecisionOf(shard.Record) is var precision && precision != job.VectorPrecision)
            {
                problems.Add($"shard {index} ({path}) holds {(precision is { } p ? VectorEncoding.Name(p) : "unknown")} vectors, but vector_precision is {VectorEncoding.Name(job.VectorPrecision)}");
            }
            if (shard.VectorType != job.VectorType)
            {
                problems.Add($"shard {index} ({path}) has {Describe(shard.VectorType)} vectors, but vector_type is {Describe(job.VectorType)}");
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
        var target = SqlIdentifier.Quote(job.OutputTable);
        var id = SqlIdentifier.Quote(input.IdColumn);
        using var transaction = connection.BeginTransaction();
        PrepareTarget(connection, job, input, shards[0].Table!, settings[0], overwrite);
        foreach (var shard in shards)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var copied = JobDatabase.Execute(connection, $"INSERT INTO {target} SELECT s.* FROM {shard.Table} AS s ANTI JOIN {target} AS o ON o.{id} = s.{id}");
            logger.MergedShard(shard.Status.Index, copied);
        }
        var rows = Count(connection, $"SELECT count(*) FROM {target}");
        var distinct = Count(connection, $"SELECT count(DISTINCT {id}) FROM {target}");
        if (rows != input.RowCount || distinct != rows)
        {
            // Every check above should make this impossible; if not, the transaction is rolled back, not committed.
            throw new InvalidOperationException($"After the merge {job.OutputTable} would hold {rows} rows ({distinct} distinct ids) for {input.RowCount} input rows; nothing was written.");
        }
        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
        return rows;
    }

    private static string Describe(VectorColumnType type) => type == VectorColumnType.Array ? "array (FLOAT[N])" : "list (FLOAT[])";

    private static JobDatabase OpenInput(EmbeddingJob job, int shardCount, out InputTable input)
    {
        ShardSelection.CheckCount(shardCount);
        return JobDatabase.OpenForReading(job, out input);
    }

    /// <summary>What one shard file holds, attached read-only as <c>duckembed_shard_I</c>.</summary>
    private sealed record ShardFile(ShardStatus Status, string? Table, Dictionary<string, string> Record, VectorColumnType VectorType = VectorColumnType.Array);

    private static List<ShardFile> Inspect(JobDatabase database, InputTable input, EmbeddingJob job, int shardCount, CancellationToken cancellationToken = default)
    {
        var connection = database.Connection;
        var id = SqlIdentifier.Quote(input.IdColumn);
        var rowsPerShard = RowsPerShard(connection, input, shardCount);
        var files = new List<ShardFile>();
        for (var index = 0; index < shardCount; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shard = new ShardSelection(index, shardCount);
            var path = shard.PathFor(job.OutputDatabasePath);
            var expected = rowsPerShard.GetValueOrDefault(index);
            if (!File.Exists(path))
            {
                files.Add(new ShardFile(new ShardStatus(index, path, false, 0, expected), null, []));
                continue;
            }
            var catalog = $"duckembed_shard_{index}";
            if (!database.TryAttachReadOnly(path, catalog, JobSetting.Shard))
            {
                files.Add(new ShardFile(new ShardStatus(index, path, true, 0, expected) { Running = true }, null, []));
                continue;
            }
            var columns = OutputTable.ReadColumns(connection, job.OutputTable, catalog);
            if (columns.Count == 0)
            {
                files.Add(new ShardFile(new ShardStatus(index, path, true, 0, expected), null, []));
                continue;
            }
            var table = $"{catalog}.main.{SqlIdentifier.Quote(columns[0].Table)}";
            var done = Count(connection, $"SELECT count(*) FROM {table} AS s SEMI JOIN {input.QualifiedName} AS i ON s.{id} = i.{id} WHERE {shard.Condition($"s.{id}")}");
            var stray = Count(connection, $"SELECT count(*) FROM {table} AS s WHERE NOT ({shard.Condition($"s.{id}")})");
            var vectorType = columns.FirstOrDefault(c => c.Name.Equals(job.VectorColumn, StringComparison.OrdinalIgnoreCase)).Type is { } type && type.EndsWith("[]", StringComparison.Ordinal)
                ? VectorColumnType.List
                : VectorColumnType.Array;
            var foreign = ForeignRows.In(connection, table, input);
            var problem = string.Join(" and ", new[] { stray > 0 ? $"{stray:N0} rows of other shards" : null, foreign.Count > 0 ? foreign.ToString() : null }.OfType<string>());
            files.Add(new ShardFile(new ShardStatus(index, path, true, done, expected) { Problem = problem.Length == 0 ? null : "holds " + problem }, table,
                new OutputProvenance(connection, columns[0].Table, catalog).Read(), vectorType));
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

    // The merged table, in the merge's transaction: the shards' columns and types, and their record without the shard
    // keys. One already there (an earlier merge, stopped or finished) must carry the same record and hold only rows of
    // this input, or the merge would end with rows no shard has; --overwrite replaces it. A sync merge (the shards
    // synced with a changed input) deletes the rows whose ids are gone or whose texts changed: the shards, complete and
    // holding only the input's rows as they are now, give their new rows.
    private static void PrepareTarget(DuckDBConnection connection, EmbeddingJob job, InputTable input, string firstShard, Dictionary<string, string> record, bool overwrite)
    {
        var name = job.OutputTable;
        var provenance = new OutputProvenance(connection, name);
        provenance.EnsureTable();
        if (OutputTable.ReadColumns(connection, name).Count > 0)
        {
            if (overwrite)
            {
                JobDatabase.Execute(connection, $"DROP TABLE {SqlIdentifier.Quote(name)}");
                provenance.Delete();
            }
            else if (OutputProvenance.Differences(provenance.Read(), record) is { Count: > 0 } differences)
            {
                throw new EmbeddingJobException(JobSetting.OutputTable, $"'{name}' already exists and was made otherwise than the shards ({string.Join("; ", differences)}). Nothing was merged.")
                {
                    CanOverwrite = true,
                };
            }
            else if (job.Sync)
            {
                var id = SqlIdentifier.Quote(input.IdColumn);
                var text = SqlIdentifier.Quote(input.TextColumn);
                JobDatabase.Execute(connection, $"DELETE FROM {SqlIdentifier.Quote(name)} AS o WHERE NOT EXISTS (SELECT 1 FROM {input.QualifiedName} AS i WHERE i.{id} = o.{id} AND i.{text} IS NOT DISTINCT FROM o.{text})");
            }
            else if (ForeignRows.In(connection, SqlIdentifier.Quote(name), input) is { Count: > 0 } foreign)
            {
                throw new EmbeddingJobException(JobSetting.OutputTable, $"'{name}' already holds {foreign}. Nothing was merged; if the shards were synced with the changed input, merge them with sync.")
                {
                    CanOverwrite = true,
                };
            }
        }
        if (OutputTable.ReadColumns(connection, name).Count == 0)
        {
            JobDatabase.Execute(connection, $"CREATE TABLE {SqlIdentifier.Quote(name)} AS SELECT * FROM {firstShard} LIMIT 0");
            provenance.Write(record);
        }
    }

    private static long Count(DuckDBConnection connection, string sql) => JobDatabase.Count(connection, sql);
}
