using System.Globalization;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Output;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor;

/// <summary>
/// Finds the rows of an output table closest to a query text: the query is embedded with the generator the table
/// was made with (checked against the table's provenance) and every row ranked in DuckDB — an exact scan, the same
/// ranking an HNSW index approximates. Float32 rows by cosine similarity; int8 rows by the query's dot product with
/// the vectors their codes stand for; binary rows by the bits they share with the query's signs, the
/// <c>rescoreMultiplier × count</c> nearest then ranked by their exact cosine, their texts embedded again; binary+int8
/// rows by the bits, the candidates then rescored with their int8 codes (sentence-transformers' rescoring).
/// The output is opened read-only.
/// </summary>
public static class EmbeddingSearch
{
    /// <summary>The <paramref name="count"/> rows closest to <paramref name="query"/>, closest first.</summary>
    /// <param name="job">The output (database, table, vector column) and what made it.</param>
    /// <param name="generator">Embeds the query; must be the model the table was made with.</param>
    /// <param name="query">The text to look for.</param>
    /// <param name="count">How many rows to return.</param>
    /// <param name="rescoreMultiplier">For binary vectors: how many times <paramref name="count"/> rows the bit search keeps for rescoring
    /// (binary alone: that many texts embedded again per search).</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <exception cref="EmbeddingJobException">No such output, or it was made with another model or settings.</exception>
    public static async Task<IReadOnlyList<SearchHit>> SearchAsync(EmbeddingJob job, IEmbeddingGenerator<string, Embedding<float>> generator,
        string query, int count = 10, int rescoreMultiplier = DefaultRescoreMultiplier, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rescoreMultiplier, 1);
        using var database = JobDatabase.OpenExistingOutput(job.OutputDatabasePath, job.DuckDbMemoryLimit);
        var connection = database.Connection;
        var columns = OutputTable.ReadColumns(connection, job.OutputTable);
        if (columns.Count is not (3 or 4))
        {
            throw new EmbeddingJobException(JobSetting.OutputTable, $"'{job.OutputTable}' is not a DuckEmbed output in {job.OutputDatabasePath}; embed the input first.");
        }
        var stored = CheckSameModel(connection, columns[0].Table, job, generator);
        var encoding = VectorEncoding.Of(stored) ?? throw new EmbeddingJobException(JobSetting.OutputTable,
            $"'{job.OutputTable}' holds {stored.GetValueOrDefault(VectorEncoding.PrecisionKey)} vectors whose record DuckEmbed cannot read (int8 without its ranges?); it cannot be searched.");

        var embedded = await generator.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false);
        var vector = embedded[0].Vector.ToArray();
        var (id, text, vectorColumn, vectorType) = (SqlIdentifier.Quote(columns[0].Name), SqlIdentifier.Quote(columns[1].Name),
            SqlIdentifier.Quote(columns[2].Name), columns[2].Type);
        var dimensions = vector.Length.ToString(CultureInfo.InvariantCulture);
        var from = $"FROM {SqlIdentifier.Quote(columns[0].Table)} AS o, temp.main.duckembed_query AS q WHERE o.{vectorColumn} IS NOT NULL";
        var candidateRows = ((long)count * rescoreMultiplier).ToString(CultureInfo.InvariantCulture);
        if (encoding.Precision == VectorPrecision.BinaryInt8)
        {
            // The bit search's candidates, rescored with their int8 codes as an int8 table is searched.
            var (scaled, constant) = encoding.Int8Query(vector);
            AddQuery(connection, scaled);
            var codes = SqlIdentifier.Quote(VectorEncoding.RescoreColumn(columns[2].Name));
            var ranked = Read(connection,
                $"SELECT c.id, array_inner_product(c.codes::FLOAT[{dimensions}], q.v::FLOAT[{dimensions}]) + {constant.ToString("R", CultureInfo.InvariantCulture)} AS score, c.text " +
                $"FROM (SELECT o.{id}::VARCHAR AS id, o.{text} AS text, o.{codes} AS codes, {VectorEncoding.HammingDistance($"o.{vectorColumn}", VectorEncoding.PackSigns(vector))} AS distance " +
                $"{from} ORDER BY distance, o.{id} LIMIT {candidateRows}) AS c, temp.main.duckembed_query AS q ORDER BY score DESC LIMIT {count.ToString(CultureInfo.InvariantCulture)}",
                reader => (Id: reader.GetString(0), Score: reader.GetDouble(1), Text: reader.GetString(2)), cancellationToken);
            return [.. ranked.Select((h, i) => new SearchHit(i + 1, h.Id, h.Score, h.Text))];
        }
        if (encoding.Precision == VectorPrecision.Binary)
        {
            // The bits keep too little to rank the candidates well (on the corpus, the float query's cosine with
            // every row's ±1 vector finds 70 % of float32's top 10); the texts are in the table, so the candidates
            // are embedded again and ranked by their exact cosine — float32's own score, at the price of
            // rescoreMultiplier × count texts through the model per search.
            AddQuery(connection, []);
            return await RescoreByTextsAsync(connection, generator, vector, count,
                $"SELECT o.{id}::VARCHAR, {VectorEncoding.HammingDistance($"o.{vectorColumn}", VectorEncoding.PackSigns(vector))} AS distance, o.{text} " +
                $"{from} ORDER BY distance, o.{id} LIMIT {candidateRows}", cancellationToken).ConfigureAwait(false);
        }
        string similarity;
        var comparable = "";
        if (encoding.Precision == VectorPrecision.Int8)
        {
            var (scaled, constant) = encoding.Int8Query(vector);
            AddQuery(connection, scaled);
            similarity = $"array_inner_product(o.{vectorColumn}::FLOAT[{dimensions}], q.v::FLOAT[{dimensions}]) + {constant.ToString("R", CultureInfo.InvariantCulture)}";
        }
        else
        {
            AddQuery(connection, vector);
            // A list column may hold a vector of another length (written by hand): it cannot be compared, so it is not ranked.
            (similarity, comparable) = vectorType == "FLOAT[]"
                ? ($"list_cosine_similarity(o.{vectorColumn}, q.v)", $" AND len(o.{vectorColumn}) = {dimensions}")
                : ($"array_cosine_similarity(o.{vectorColumn}, q.v::FLOAT[{dimensions}])", "");
        }
        var hits = Read(connection, $"SELECT o.{id}::VARCHAR, {similarity} AS score, o.{text} {from}{comparable} ORDER BY score DESC LIMIT {count.ToString(CultureInfo.InvariantCulture)}",
            reader => (Id: reader.GetString(0), Score: reader.GetDouble(1), Text: reader.GetString(2)), cancellationToken);
        return [.. hits.Select((h, i) => new SearchHit(i + 1, h.Id, h.Score, h.Text))];
    }

    /// <summary>
    /// Default of the rescore multiplier: on the corpus (BENCHMARKS.md, "Vector precision"), binary+int8 finds 86 % of
    /// float32's top 10 with 4 (sentence-transformers' default) and 94 % with 10, in the same time (the scan of the bits
    /// is the search's cost, not the rescoring of a hundred rows).
    /// </summary>
    public const int DefaultRescoreMultiplier = 10;

    // Texts go to the model a window at a time and only the best count are kept, so memory stays flat however many
    // candidates are asked for (the CLI allows 10,000 × 1,000). Ties keep the bit search's order.
    private static async Task<IReadOnlyList<SearchHit>> RescoreByTextsAsync(DuckDBConnection connection, IEmbeddingGenerator<string, Embedding<float>> generator,
        float[] query, int count, string candidatesSql, CancellationToken cancellationToken)
    {
        var best = new PriorityQueue<(string Id, string Text), (double Score, long Order)>(
            Comparer<(double Score, long Order)>.Create((a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Order.CompareTo(a.Order)));
        var order = 0L;
        var candidates = Rows(connection, candidatesSql, reader => (Id: reader.GetString(0), Text: reader.GetString(2)), cancellationToken);
        foreach (var window in candidates.Chunk(RescoreWindow))
        {
            var again = await generator.GenerateAsync(window.Select(c => c.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < window.Length; i++, order++)
            {
                var priority = (VectorEncoding.Cosine(again[i].Vector.Span, query), order);
                if (best.Count < count)
                {
                    best.Enqueue(window[i], priority);
                }
                else
                {
                    best.EnqueueDequeue(window[i], priority);
                }
            }
        }
        var ranked = new List<(string Id, string Text, double Score)>(best.Count);
        while (best.TryDequeue(out var hit, out var priority))
        {
            ranked.Add((hit.Id, hit.Text, priority.Score));
        }
        ranked.Reverse();
        return [.. ranked.Select((h, i) => new SearchHit(i + 1, h.Id, h.Score, h.Text))];
    }

    /// <summary>How many candidate texts a binary search embeds again in one call.</summary>
    private const int RescoreWindow = 1024;

    // The query as a one-row temporary table: a vector of floats is not a parameter DuckDB.NET can bind.
    private static void AddQuery(DuckDBConnection connection, float[] vector)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TEMP TABLE duckembed_query (v FLOAT[])";
            create.ExecuteNonQuery();
        }
        using var appender = connection.CreateAppender("temp", "main", "duckembed_query");
        appender.CreateRow().AppendValue(vector).EndRow();
    }

    private static List<T> Read<T>(DuckDBConnection connection, string sql, Func<System.Data.Common.DbDataReader, T> row, CancellationToken cancellationToken) =>
        [.. Rows(connection, sql, row, cancellationToken)];

    // The query's rows as they are read: the reader stays open while the caller works on the rows before.
    private static IEnumerable<T> Rows<T>(DuckDBConnection connection, string sql, Func<System.Data.Common.DbDataReader, T> row, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var registration = cancellationToken.Register(command.Cancel);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return row(reader);
        }
    }

    private static Dictionary<string, string> CheckSameModel(DuckDBConnection connection, string table, EmbeddingJob job, IEmbeddingGenerator generator)
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
        return stored;
    }
}
