using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Tests;

/// <summary>
/// Texts of very different lengths in one batch — padding on every row but one, special tokens inside a text —
/// embedded by a bare session on the CPU: what a graph edit is compared on, before and after.
/// </summary>
internal static class PaddedBatch
{
    public static readonly string[] Texts =
        ["a", "a longer text, with punctuation and more words than the first one has, and then some more of them", "",
         "[CLS] tokens [SEP] inside", "ünïcödé text"];

    /// <summary>The vectors of <see cref="Texts"/> (or of <paramref name="texts"/>) in one batch, row-major, their dimensions, and whether the model pooled them itself.</summary>
    public static (float[] Vectors, int Dimensions, bool PooledInGraph) Embed(byte[] model, SentencePooling pooling, Vocabulary? vocabulary = null,
        string[]? texts = null)
    {
        texts ??= Texts;
        var tokenizer = new BertTokenizer(vocabulary ?? ModelSource.Bundled().ReadVocabulary(), 256);
        using var encoder = new OnnxSentenceEncoder(new InferenceSession(model), tokenizer.PadId, ExecutionDevice.Cpu, pooling);
        var vectors = new float[texts.Length * encoder.Dimensions];
        encoder.Encode([.. texts.Select(tokenizer.Encode)], vectors);
        return (vectors, encoder.Dimensions, encoder.PoolsInGraph);
    }
}
