using System.Globalization;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// The encoding a run writes with: for int8, the ranges the table already has (a resume), or ranges found by embedding a
/// calibration sample of the input (a new table). The sample is the input's first <see cref="EmbeddingJob.Int8CalibrationRows"/>
/// texts by a hash of their id — the same rows for every shard and every rerun, so that shards of one input share their
/// ranges and merge.
/// </summary>
internal static class Int8Calibration
{
    /// <summary>
    /// The encoding for a new table of <paramref name="job"/> (after <see cref="Resumed"/> found none): for int8, with
    /// ranges from a calibration sample of <paramref name="input"/> embedded by <paramref name="generator"/>.
    /// </summary>
    public static async Task<VectorEncoding> NewEncodingAsync(EmbeddingJob job, DuckDBConnection connection,
        InputTable input, IEmbeddingGenerator<string, Embedding<float>> generator, ILogger logger, CancellationToken cancellationToken) =>
        job.VectorPrecision switch
        {
            VectorPrecision.Int8 => VectorEncoding.Int8(await CalibrateAsync(job, connection, input, generator, logger, cancellationToken).ConfigureAwait(false)),
            VectorPrecision.BinaryInt8 => VectorEncoding.BinaryInt8(await CalibrateAsync(job, connection, input, generator, logger, cancellationToken).ConfigureAwait(false)),
            VectorPrecision.Binary => VectorEncoding.Binary,
            _ => VectorEncoding.Float32,
        };

    /// <summary>
    /// The encoding a table with the <paramref name="stored"/> record goes on with (its int8 ranges), after refusing a
    /// table of another precision; <c>null</c> for a new table (an empty record).
    /// </summary>
    public static VectorEncoding? Resumed(EmbeddingJob job, IReadOnlyDictionary<string, string> stored)
    {
        if (stored.Count > 0)
        {
            var storedPrecision = VectorEncoding.PrecisionOf(stored);
            if (storedPrecision != job.VectorPrecision)
            {
                throw new EmbeddingJobException(JobSetting.VectorPrecision,
                    $"'{job.OutputTable}' holds {(storedPrecision is { } p ? VectorEncoding.Name(p) : stored[VectorEncoding.PrecisionKey])} vectors and this run would write " +
                    $"{VectorEncoding.Name(job.VectorPrecision)} ones: one table holds one precision. Set vector_precision back, overwrite it, or choose another output table.")
                {
                    CanOverwrite = true,
                };
            }
            if (VectorEncoding.HasInt8(job.VectorPrecision))
            {
                return VectorEncoding.Of(stored) ?? throw new EmbeddingJobException(JobSetting.VectorPrecision,
                    $"'{job.OutputTable}' holds {VectorEncoding.Name(job.VectorPrecision)} vectors, but its record's ranges ({Int8Ranges.MinimumKey}, {Int8Ranges.MaximumKey}) are missing or damaged: " +
                    "the rows left cannot be quantized as the others were. Overwrite it to start over.") { CanOverwrite = true };
            }
            return job.VectorPrecision == VectorPrecision.Binary ? VectorEncoding.Binary : VectorEncoding.Float32;
        }
        return null;
    }

    private static async Task<Int8Ranges> CalibrateAsync(EmbeddingJob job, DuckDBConnection connection, InputTable input,
        IEmbeddingGenerator<string, Embedding<float>> generator, ILogger logger, CancellationToken cancellationToken)
    {
        var texts = new List<string>(EmbeddingJob.Int8CalibrationRows);
        var id = SqlIdentifier.Quote(input.IdColumn);
        var text = SqlIdentifier.Quote(input.TextColumn);
        using (var command = connection.CreateCommand())
        {
            // The whole input's rows, not this shard's: every shard calibrates on the same texts.
            command.CommandText = $"SELECT {text} FROM {input.QualifiedName} WHERE {text} IS NOT NULL ORDER BY hash({id}), {id} " +
                $"LIMIT {EmbeddingJob.Int8CalibrationRows.ToString(CultureInfo.InvariantCulture)}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                texts.Add(reader.GetString(0));
            }
        }
        logger.CalibratingInt8(texts.Count);
        var vectors = new List<ReadOnlyMemory<float>>(texts.Count);
        foreach (var chunk in texts.Chunk(Math.Max(1, job.WindowSize)))
        {
            var embeddings = await generator.GenerateAsync(chunk, cancellationToken: cancellationToken).ConfigureAwait(false);
            vectors.AddRange(embeddings.Select(e => e.Vector));
        }
        return Int8Ranges.Calibrate(vectors);
    }
}
