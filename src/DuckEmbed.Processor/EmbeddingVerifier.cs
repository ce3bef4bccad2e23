using System.Globalization;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Output;
using DuckEmbed.Processor.Pipeline;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor;

/// <summary>
/// Checks a finished output against its input and its model: every input id exactly once and nothing else, texts as
/// in the input, vectors of the model's dimensions and unit length (where the model normalises), NULL vectors for
/// NULL texts only, the provenance matching this job and generator, and a sample re-embedded to the same vectors.
/// Opens both databases read-only.
/// </summary>
public static class EmbeddingVerifier
{
    /// <summary>
    /// Lowest cosine between a stored vector and the same text embedded again, for a model whose vectors do not depend
    /// on the batch a text is in. A quantized model's do (int8 scales its activations per batch): pass its own floor.
    /// </summary>
    public const double DefaultMinimumSampleCosine = 0.9999;

    /// <summary>Checks the output of <paramref name="job"/>; problems are named in the report, not thrown.</summary>
    /// <param name="job">Input, output and names, as for the run that made the output.</param>
    /// <param name="generator">The model the output should have been made with; re-embeds the sample.</param>
    /// <param name="sampleRows">Rows embedded again, picked by a hash of their id (the same rows on every check).</param>
    /// <param name="minimumSampleCosine">Lowest cosine a sampled row's new vector may have to its stored one.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    /// <exception cref="EmbeddingJobException">The input or output cannot be read at all.</exception>
    public static async Task<VerificationReport> VerifyAsync(EmbeddingJob job, IEmbeddingGenerator<string, Embedding<float>> generator,
        int sampleRows = 32, double minimumSampleCosine = DefaultMinimumSampleCosine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(generator);
        var inputPath = Path.GetFullPath(job.InputDatabasePath);
        using var database = JobDatabase.OpenInput(inputPath, job.OutputDatabasePath, job.DuckDbMemoryLimit);
        var input = InputTable.Inspect(database.Connection, job);
        database.AttachExistingOutput(job.OutputDatabasePath, inputPath);
        var connection = database.Connection;
        var columns = OutputTable.ReadColumns(connection, job.OutputTable);
        if (columns.Count == 0)
        {
            throw new EmbeddingJobException(JobSetting.OutputTable, $"'{job.OutputTable}' is not in {job.OutputDatabasePath}; embed the input first.");
        }
        var table = SqlIdentifier.Quote(columns[0].Table);
        var id = SqlIdentifier.Quote(input.IdColumn);
        var text = SqlIdentifier.Quote(input.TextColumn);
        var vector = SqlIdentifier.Quote(job.VectorColumn);
        var problems = new List<string>();

        var (rows, distinct) = Scalars(connection, $"SELECT count(*), count(DISTINCT {id}) FROM {table}");
        Problem(problems, rows - distinct, "rows repeat an id");
        var missing = JobDatabase.Count(connection, $"SELECT count(*) FROM {input.QualifiedName} AS i ANTI JOIN {table} AS o ON o.{id} = i.{id}");
        Problem(problems, missing, $"input ids are not in {columns[0].Table}");
        var foreign = ForeignRows.In(connection, table, input);
        Problem(problems, foreign.UnknownIds, "output ids are not in the input");
        Problem(problems, foreign.OtherTexts, "texts differ from the input's");

        var stored = new OutputProvenance(connection, columns[0].Table).Read();
        var expected = OutputProvenance.Describe(job, input, generator);
        foreach (var difference in OutputProvenance.Differences(stored, expected))
        {
            problems.Add($"provenance differs from this config and model: {difference}");
        }
        var encoding = VectorEncoding.Of(stored);
        if (encoding is null)
        {
            problems.Add($"the record says {stored.GetValueOrDefault(VectorEncoding.PrecisionKey)} vectors, and its int8 ranges ({Int8Ranges.MinimumKey}, {Int8Ranges.MaximumKey}) are missing or unreadable");
        }
        var dimensions = ModelDimensions.Of(generator);
        var bits = encoding?.HasBits == true;
        var storedLength = dimensions is { } n && bits ? VectorEncoding.Words(n) : dimensions;
        var asList = $"{vector}::FLOAT[]";
        var (nullMismatch, wrongLength) = Scalars(connection,
            $"SELECT count(*) FILTER (WHERE ({text} IS NULL) <> ({vector} IS NULL)), " +
            $"count(*) FILTER (WHERE {vector} IS NOT NULL AND len({vector}) <> {(storedLength ?? 0).ToString(CultureInfo.InvariantCulture)}) FROM {table}");
        Problem(problems, nullMismatch, "rows have a NULL vector for a text, or a vector for a NULL text");
        if (dimensions is not null)
        {
            Problem(problems, wrongLength, bits ? $"vectors are not of {storedLength} words ({dimensions} bits)" : $"vectors are not of {dimensions} dimensions");
        }
        if (encoding is null)
        {
            return new VerificationReport { Rows = rows, InputRows = input.RowCount, SampledRows = 0, LowestSampleCosine = double.NaN, Problems = problems };
        }
        if (encoding.Precision != VectorPrecision.Float32)
        {
            var (sampled, lowestCosine) = await CheckQuantizedSampleAsync(new Sample(connection, table, id, text, job.VectorColumn, sampleRows), generator, encoding, problems, cancellationToken).ConfigureAwait(false);
            return new VerificationReport { Rows = rows, InputRows = input.RowCount, SampledRows = sampled, LowestSampleCosine = lowestCosine, Problems = problems, Precision = encoding.Precision };
        }
        if (stored.GetValueOrDefault("normalization") == "l2")
        {
            var (notUnit, _) = Scalars(connection,
                $"SELECT count(*) FILTER (WHERE abs(sqrt(list_dot_product({asList}, {asList})) - 1) > 1e-3), 0 FROM {table} WHERE {vector} IS NOT NULL");
            Problem(problems, notUnit, "vectors are not of unit length");
        }

        var lowest = await CheckSampleAsync(new Sample(connection, table, id, text, job.VectorColumn, sampleRows), generator, minimumSampleCosine, problems, cancellationToken).ConfigureAwait(false);
        return new VerificationReport { Rows = rows, InputRows = input.RowCount, SampledRows = lowest.Count, LowestSampleCosine = lowest.Cosine, Problems = problems };
    }

    /// <summary>
    /// The rows a check embeds again, picked by a hash of their id: spread over the table, and the same rows whatever
    /// order the windows were committed in (a seeded reservoir sample follows the rows' order on disk, so two runs that
    /// committed windows in different orders were checked on different rows).
    /// </summary>
    private sealed record Sample(DuckDBConnection Connection, string Table, string Id, string Text, string VectorColumn, int Rows)
    {
        public string Vector => SqlIdentifier.Quote(VectorColumn);

        public string Rest => $"FROM {Table} WHERE {Vector} IS NOT NULL ORDER BY hash({Id}), {Id} LIMIT {Rows.ToString(CultureInfo.InvariantCulture)}";
    }

    private static async Task<(int Count, double Cosine)> CheckSampleAsync(Sample sample, IEmbeddingGenerator<string, Embedding<float>> generator,
        double minimumSampleCosine, List<string> problems, CancellationToken cancellationToken)
    {
        var texts = new List<string>();
        var vectors = new List<float[]>();
        using (var command = sample.Connection.CreateCommand())
        {
            command.CommandText = $"SELECT {sample.Text}, {sample.Vector}::FLOAT[] {sample.Rest}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                texts.Add(reader.GetString(0));
                vectors.Add(((IEnumerable<float>)reader.GetValue(1)).ToArray());
            }
        }
        if (texts.Count == 0)
        {
            return (0, double.NaN);
        }
        var again = await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var cosines = again.Select((embedding, i) => VectorEncoding.Cosine(embedding.Vector.Span, vectors[i])).ToList();
        var below = cosines.Count(c => c < minimumSampleCosine);
        Problem(problems, below, $"of {texts.Count} sampled rows embed again to a vector below cosine {minimumSampleCosine} of the stored one (lowest {cosines.Min():F6})");
        return (texts.Count, cosines.Min());
    }

    // A value on a quantization boundary may land on either side of it when embedded again in another batch (floats a
    // few ulps apart): an int8 code one step off, or a bit whose value is within this of zero, is not a difference.
    private const float BitBoundary = 1e-3f;

    /// <summary>
    /// The sample embedded again and quantized as the table was (its own ranges): its bits and int8 codes must be the
    /// stored ones.
    /// </summary>
    private static async Task<(int Count, double Cosine)> CheckQuantizedSampleAsync(Sample sample, IEmbeddingGenerator<string, Embedding<float>> generator,
        VectorEncoding encoding, List<string> problems, CancellationToken cancellationToken)
    {
        var codesColumn = encoding.Precision switch
        {
            VectorPrecision.Int8 => sample.Vector,
            VectorPrecision.BinaryInt8 => SqlIdentifier.Quote(VectorEncoding.RescoreColumn(sample.VectorColumn)),
            _ => null,
        };
        var texts = new List<string>();
        var stored = new List<(List<ulong>? Words, List<long>? Codes)>();
        using (var command = sample.Connection.CreateCommand())
        {
            command.CommandText = $"SELECT {sample.Text}, {(encoding.HasBits ? sample.Vector : "NULL")}, {(codesColumn is null ? "NULL" : $"{codesColumn}::BIGINT[]")} {sample.Rest}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                texts.Add(reader.GetString(0));
                stored.Add((reader.IsDBNull(1) ? null : (List<ulong>)reader.GetValue(1), reader.IsDBNull(2) ? null : (List<long>)reader.GetValue(2)));
            }
        }
        if (texts.Count == 0)
        {
            return (0, double.NaN);
        }
        var again = await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var differing = 0;
        var lowest = double.PositiveInfinity;
        for (var i = 0; i < texts.Count; i++)
        {
            var fresh = again[i].Vector.Span;
            var (words, codes) = stored[i];
            var wrong = false;
            if (codes is not null)
            {
                var ranges = encoding.Ranges!;
                var expected = ranges.Quantize(fresh);
                wrong |= expected.Length != codes.Count || expected.Where((code, d) => Math.Abs(code - codes[d]) > 1).Any();
                lowest = Math.Min(lowest, VectorEncoding.Cosine(fresh, ranges.StandsFor(codes)));
            }
            if (words is not null)
            {
                var wrongBits = VectorEncoding.PackSigns(fresh).Length != words.Count;
                for (var d = 0; !wrongBits && d < fresh.Length; d++)
                {
                    wrongBits = VectorEncoding.Bit(words, d) != fresh[d] > 0 && Math.Abs(fresh[d]) > BitBoundary;
                }
                wrong |= wrongBits;
                if (codes is null)
                {
                    lowest = Math.Min(lowest, wrongBits ? double.NaN : VectorEncoding.BinaryScore(fresh, words));
                }
            }
            differing += wrong ? 1 : 0;
        }
        Problem(problems, differing, $"of {texts.Count} sampled rows embed again to other {VectorEncoding.Name(encoding.Precision)} codes than the stored ones");
        return (texts.Count, lowest);
    }

    private static void Problem(List<string> problems, long count, string what)
    {
        if (count > 0)
        {
            problems.Add($"{count.ToString("N0", CultureInfo.InvariantCulture)} {what}");
        }
    }

    private static (long First, long Second) Scalars(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
