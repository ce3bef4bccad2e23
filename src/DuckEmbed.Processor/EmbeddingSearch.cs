using System.Globalization;
using DuckDB.NET.Data;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor;

/// <summary>
/// Finds the rows of an output table closest to a query text: the query is embedded with the generator the table
/// was made with (checked against the table's provenance) and every row ranked by cosine similarity in DuckDB —
/// an exact scan, the same ranking an HNSW index approximates. The output is opened read-only.
/// </summary>
public static class EmbeddingSearch
{
    /// <summary>The <paramref name="count"/> rows closest to <paramref name="query"/>, closest first.</summary>
    /// <param name="job">The output (database, table, vector column) and what made it.</param>
    /// <param name="generator">Embeds the query; must be the model the table was made with.</param>
    /// <param name="query">The text to look for.</param>
    /// <param name="count">How many rows to return.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <exception cref="EmbeddingJobException">No such output, or it was made with another model or settings.</exception>
    public static async Task<IReadOnlyList<SearchHit>> SearchAsync(EmbeddingJob job, IEmbeddingGenerator<string, Embedding<float>> generator,
        string query, int count = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using var database = JobDatabase.OpenExistingOutput(job.OutputDatabasePath, job.DuckDbMemoryLimit);
        var connection = database.Connection;
        var columns = OutputTable.ReadColumns(connection, job.OutputTable);
        if (columns.Count != 3)
        {
            throw new EmbeddingJobException(JobSetting.OutputTable, $"'{job.OutputTable}' is not a DuckEmbed output in {job.OutputDatabasePath}; embed the input first.");
        }
        CheckSameModel(connection, columns[0].Table, job, generator);

        var embedded = await generator.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false);
        var vector = embedded[0].Vector.ToArray();
        var (id, text, vectorColumn, vectorType) = (SqlIdentifier.Quote(columns[0].Name), SqlIdentifier.Quote(columns[1].Name),
            SqlIdentifier.Quote(columns[2].Name), columns[2].Type);
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TEMP TABLE duckembed_query (v FLOAT[])";
            create.ExecuteNonQuery();
        }
        using (var appender = connection.CreateAppender("temp", "main", "duckembed_query"))
        {
            appender.CreateRow().AppendValue(vector).EndRow();
        }
        var dimensions = vector.Length.ToString(CultureInfo.InvariantCulture);
        // A list column may hold a vector of another length (written by hand): it cannot be compared, so it is not ranked.
        var (similarity, comparable) = vectorType == "FLOAT[]"
            ? ($"list_cosine_similarity(o.{vectorColumn}, q.v)", $" AND len(o.{vectorColumn}) = {dimensions}")
            : ($"array_cosine_similarity(o.{vectorColumn}, q.v::FLOAT[{dimensions}])", "");
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT o.{id}::VARCHAR, {similarity} AS score, o.{text} FROM {SqlIdentifier.Quote(columns[0].Table)} AS o, temp.main.duckembed_query AS q " +
            $"WHERE o.{vectorColumn} IS NOT NULL{comparable} ORDER BY score DESC LIMIT {count.ToString(CultureInfo.InvariantCulture)}";
        using var registration = cancellationToken.Register(command.Cancel);
        using var reader = command.ExecuteReader();
        var hits = new List<SearchHit>(Math.Min(count, 1024));
        while (reader.Read())
        {
            hits.Add(new SearchHit(hits.Count + 1, reader.GetString(0), reader.GetDouble(1), reader.GetString(2)));
        }
        return hits;
    }

    private static void CheckSameModel(DuckDBConnection connection, string table, EmbeddingJob job, IEmbeddingGenerator generator)
    {
        var stored = new OutputProvenance(connection, table).Read();
        var now = OutputProvenance.DescribeGenerator(job, generator);
        var differences = OutputProvenance.Differences(
            stored.Where(kv => now.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), now);
        if (differences.Count > 0)
        {
            throw new EmbeddingJobException(JobSetting.OutputTable,
                $"'{table}' was embedded with another model or settings ({string.Join("; ", differences)}); a query embedded otherwise would not be comparable. Search with the model and settings that made it.");
        }
    }
}
