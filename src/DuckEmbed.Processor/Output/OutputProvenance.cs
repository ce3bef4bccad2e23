using System.Reflection;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// What produced an output table — model, settings, input — kept in the output database's
/// <c>duckembed_metadata</c> table, so that a resume with another model or other settings is refused instead of
/// mixing two kinds of vectors in one table.
/// </summary>
internal sealed class OutputProvenance(DuckDBConnection output, string outputTable, string? catalog = null)
{
    private string Table => catalog is null ? TableName : $"{SqlIdentifier.Quote(catalog)}.main.{TableName}";

    public const string TableName = "duckembed_metadata";
    private const string ToolVersionKey = "tool_version";

    /// <summary>The record this run would write: the job's names, the generator's metadata and settings.</summary>
    public static SortedDictionary<string, string> Describe(EmbeddingJob job, InputTable input, IEmbeddingGenerator generator)
    {
        var record = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ToolVersionKey] = typeof(OutputProvenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            ["input_table"] = job.InputTable,
            ["id_column"] = input.IdColumn,
            ["text_column"] = input.TextColumn,
            ["vector_column"] = job.VectorColumn,
        };
        VectorEncoding.Describe(job.VectorPrecision, record);
        foreach (var (key, value) in DescribeGenerator(job, generator))
        {
            record[key] = value;
        }
        if (job.Shard is { } shard)
        {
            record[ShardCountKey] = shard.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            record[ShardIndexKey] = shard.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            record[ShardHashKey] = ShardSelection.HashName;
        }
        return record;
    }

    internal const string ShardCountKey = "shard_count";
    internal const string ShardIndexKey = "shard_index";
    internal const string ShardHashKey = "shard_hash";

    /// <summary>What makes the vectors: the generator's model id and dimensions, and the job's generator settings.</summary>
    public static SortedDictionary<string, string> DescribeGenerator(EmbeddingJob job, IEmbeddingGenerator generator)
    {
        var record = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (generator.GetService(typeof(EmbeddingGeneratorMetadata)) is EmbeddingGeneratorMetadata metadata)
        {
            if (metadata.DefaultModelId is { } modelId)
            {
                record["model_id"] = modelId;
            }
            if (metadata.DefaultModelDimensions is { } dimensions)
            {
                record["dimensions"] = dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        foreach (var (key, value) in job.GeneratorSettingsOf(generator))
        {
            record[key] = value;
        }
        return record;
    }

    public void EnsureTable() => Execute($"CREATE TABLE IF NOT EXISTS {TableName} (output_table VARCHAR, key VARCHAR, value VARCHAR)");

    /// <summary>The stored record; empty where there is none (a table made otherwise, or its record dropped).</summary>
    public Dictionary<string, string> Read()
    {
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var exists = output.CreateCommand())
        {
            exists.CommandText = "SELECT count(*) FROM duckdb_tables() WHERE database_name = coalesce($catalog, current_database()) AND schema_name = 'main' AND table_name = $name";
            exists.Parameters.Add(new DuckDBParameter("catalog", catalog));
            exists.Parameters.Add(new DuckDBParameter("name", TableName));
            if (Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return stored;
            }
        }
        using var command = output.CreateCommand();
        command.CommandText = $"SELECT key, value FROM {Table} WHERE output_table = $table";
        command.Parameters.Add(new DuckDBParameter("table", outputTable));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!reader.IsDBNull(0) && !reader.IsDBNull(1))
            {
                stored[reader.GetString(0)] = reader.GetString(1);
            }
        }
        return stored;
    }

    public void Write(IReadOnlyDictionary<string, string> record)
    {
        Delete();
        foreach (var (key, value) in record)
        {
            using var command = output.CreateCommand();
            command.CommandText = $"INSERT INTO {TableName} VALUES ($table, $key, $value)";
            command.Parameters.Add(new DuckDBParameter("table", outputTable));
            command.Parameters.Add(new DuckDBParameter("key", key));
            command.Parameters.Add(new DuckDBParameter("value", value));
            command.ExecuteNonQuery();
        }
    }

    public void Delete()
    {
        using var command = output.CreateCommand();
        command.CommandText = $"DELETE FROM {TableName} WHERE output_table = $table";
        command.Parameters.Add(new DuckDBParameter("table", outputTable));
        command.ExecuteNonQuery();
    }

    /// <summary>The settings that differ between what made the table and this run (the tool's version may).</summary>
    /// <remarks>
    /// int8's ranges are found by the run, not set: a record without them (a dry run's, verify's) is not compared on them.
    /// </remarks>
    public static List<string> Differences(IReadOnlyDictionary<string, string> stored, IReadOnlyDictionary<string, string> now) =>
        stored.Keys.Union(now.Keys).Where(key => key != ToolVersionKey)
            .Where(key => !(key is Int8Ranges.MinimumKey or Int8Ranges.MaximumKey) || now.ContainsKey(key))
            .Where(key => stored.GetValueOrDefault(key) != now.GetValueOrDefault(key))
            .Order(StringComparer.Ordinal)
            .Select(key => $"{key}: {Short(stored.GetValueOrDefault(key)) ?? "(none)"} then, {Short(now.GetValueOrDefault(key)) ?? "(none)"} now")
            .ToList();

    // A range of 384 floats named in a message is its first few.
    private static string? Short(string? value) => value is { Length: > 60 } ? $"{value[..40]}… ({value.Length:N0} characters)" : value;

    private void Execute(string sql) => JobDatabase.Execute(output, sql);
}
