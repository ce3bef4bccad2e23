using DuckEmbed.Onnx;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary><c>embed verify</c>: checks a finished output against its input and model; exit 0 only when all holds.</summary>
internal static class VerifyCommand
{
    /// <summary>
    /// How close a re-embedded sample must come to the stored vectors. fp32 gives the same vector whatever the batch;
    /// int8 quantizes each batch's activations with that batch's range, so a text embedded among other texts moves.
    /// Each int8 vector is within cosine 0.99 of fp32 (docs/usage.md, "Precision"), an angle of 8.1°; two of them, made in two
    /// batches, can be twice that apart: cos 16.2° = 0.96 (seen: 0.9886 on the bundled example, for one row of 64).
    /// A wrong model, pooling or prompt moves vectors far more. fp16 sums in another order on another batch shape:
    /// its floor to the reference.
    /// </summary>
    internal static double SampleCosineFloor(ModelPrecision precision) => precision switch
    {
        ModelPrecision.Int8 => 0.96,
        ModelPrecision.Fp16 => 0.999,
        _ => EmbeddingVerifier.DefaultMinimumSampleCosine,
    };

    /// <summary>Most rows <c>--sample</c> may embed again: a check, not a second run.</summary>
    internal const int MaxSampleRows = 100_000;

    public static Task<int> RunAsync(string configPath, int sampleRows, CommandContext context) =>
        CommandRunner.RunAsync(context, async (logging, stop) =>
        {
            if (sampleRows is < 1 or > MaxSampleRows)
            {
                throw new CliUsageException($"--sample must be a number of rows from 1 to {MaxSampleRows:N0}, not {sampleRows}.");
            }
            var settings = RunSettings.Load(configPath, context.Environment);
            using var generator = CliServices.CreateEmbedder(settings, settings.BatchSize, logging, cancellationToken: stop);
            var job = settings.Job;
            var floor = SampleCosineFloor(generator.Precision);
            var report = await EmbeddingVerifier.VerifyAsync(job, generator, sampleRows, floor, stop);
            var quantized = report.Precision != VectorPrecision.Float32;
            var precision = VectorPrecisionNames.Name(report.Precision);
            context.Out.WriteLine($"{job.OutputTable} in {job.OutputDatabasePath}: {report.Rows:N0} rows for {report.InputRows:N0} input rows; " + (quantized
                ? $"{report.SampledRows} sampled rows embedded again and quantized with the table's own {(report.Precision == VectorPrecision.Binary ? "sign bits" : "ranges")}, compared code by code (lowest cosine of a new vector to what its stored {precision} codes stand for: {report.LowestSampleCosine:F4})"
                : $"{report.SampledRows} sampled rows embedded again, lowest cosine {report.LowestSampleCosine:F6} (at least {floor} for {generator.Precision.ToString().ToLowerInvariant()})"));
            foreach (var problem in report.Problems)
            {
                context.Out.WriteLine($"problem: {problem}");
            }
            // Only the sample was embedded again: the line says so, and claims nothing of the other rows' vectors.
            context.Out.WriteLine(report.Passed
                ? quantized
                    ? $"OK: every input row is there once, of the right length; {report.SampledRows:N0} of {report.Rows:N0} rows embedded again give the stored {precision} codes with this model and these settings (the other vectors were not recomputed)."
                    : $"OK: every input row is there once, of the right length and norm; {report.SampledRows:N0} of {report.Rows:N0} rows embedded again match this model and these settings (the other vectors were not recomputed)."
                : $"FAILED: {report.Problems.Count} problem(s).");
            return report.Passed ? ExitCodes.Ok : ExitCodes.UserError;
        });
}
