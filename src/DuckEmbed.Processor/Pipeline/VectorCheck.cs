using System.Globalization;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// What every vector must be before it is written: as long as the first one, finite, and of unit length where the
/// generator says it normalises (<c>normalization: l2</c> in its settings, as <see cref="EmbeddingVerifier"/> checks
/// afterwards). A model that overflows (fp16), or a broken model file, gives NaN or zero vectors with no error of its
/// own; written, they would pass for embeddings and poison every search. Checked here, they stop the run at their
/// window, before its commit.
/// </summary>
internal sealed class VectorCheck(bool unitLength)
{
    /// <summary>How far a unit vector's length may be from 1 (float rounding over a few hundred dimensions is ~1e-6).</summary>
    internal const double UnitTolerance = 1e-3;

    private int _dimensions;

    public int Dimensions => _dimensions;

    public static VectorCheck For(EmbeddingJob job, Microsoft.Extensions.AI.IEmbeddingGenerator generator) =>
        new(job.GeneratorSettingsOf(generator).GetValueOrDefault("normalization") == "l2");

    /// <exception cref="EmbeddingJobException">The vector is not one; the message quotes the text it was made for.</exception>
    public void Check(ReadOnlySpan<float> vector, string text)
    {
        var first = Interlocked.CompareExchange(ref _dimensions, vector.Length, 0);
        if (vector.Length == 0 || (first != 0 && first != vector.Length))
        {
            throw Refused(text, $"a vector of {vector.Length} floats after vectors of {first}");
        }
        // NaN and infinity propagate into the sum, so one pass finds them and the length.
        var sumOfSquares = 0.0;
        foreach (var value in vector)
        {
            sumOfSquares += (double)value * value;
        }
        if (!double.IsFinite(sumOfSquares))
        {
            throw Refused(text, "a vector with NaN or infinite values");
        }
        if (unitLength && Math.Abs(Math.Sqrt(sumOfSquares) - 1) > UnitTolerance)
        {
            throw Refused(text, string.Create(CultureInfo.InvariantCulture, $"a vector of length {Math.Sqrt(sumOfSquares):G4} where it normalises to length 1"));
        }
    }

    private static EmbeddingJobException Refused(string text, string what)
    {
        var shown = text.Length > 60 ? text[..60] + "…" : text;
        return new EmbeddingJobException(
            $"The model gave {what} for the text \"{shown.ReplaceLineEndings(" ")}\"; that window was not written (every committed row is kept). " +
            "Check the model files, or try precision fp32 if it ran in fp16.");
    }
}
