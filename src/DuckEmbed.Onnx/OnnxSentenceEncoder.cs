using System.Buffers;
using DuckEmbed.Onnx.Tokenization;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx;

/// <summary>
/// Runs a BERT-style ONNX model on batches of token ids, each batch padded to its own longest text, and pools
/// <c>last_hidden_state</c> into unit-length sentence embeddings.
/// </summary>
internal sealed class OnnxSentenceEncoder : IBatchEncoder
{
    private const string InputIds = "input_ids";
    private const string AttentionMask = "attention_mask";
    private const string TokenTypeIds = "token_type_ids";
    private const string LastHiddenState = "last_hidden_state";

    private readonly InferenceSession _session;
    private readonly bool _takesTokenTypes;
    private readonly string _hiddenStateOutput;
    private readonly int _padId;

    public OnnxSentenceEncoder(InferenceSession session, int padId)
    {
        _session = session;
        _padId = padId;
        foreach (var required in new[] { InputIds, AttentionMask })
        {
            if (!session.InputMetadata.ContainsKey(required))
            {
                throw new ModelLoadException($"The model has no '{required}' input; it is not a BERT-style sentence-transformer.");
            }
        }
        _takesTokenTypes = session.InputMetadata.ContainsKey(TokenTypeIds);
        _hiddenStateOutput = session.OutputMetadata.ContainsKey(LastHiddenState)
            ? LastHiddenState
            : session.OutputMetadata.First(o => o.Value.Dimensions.Length == 3).Key;
        var dimensions = session.OutputMetadata[_hiddenStateOutput].Dimensions;
        Dimensions = dimensions[^1] > 0
            ? dimensions[^1]
            : throw new ModelLoadException("The model's hidden-state output has no fixed embedding size.");
    }

    /// <summary>The length of one embedding.</summary>
    public int Dimensions { get; }

    /// <summary>Embeds <paramref name="batch"/>; row i of <paramref name="embeddings"/> receives text i.</summary>
    public void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings)
    {
        var rows = batch.Count;
        var length = 0;
        foreach (var text in batch)
        {
            length = Math.Max(length, text.Ids.Length);
        }
        var cells = rows * length;
        var ids = ArrayPool<long>.Shared.Rent(cells);
        var mask = ArrayPool<long>.Shared.Rent(cells);
        var types = ArrayPool<long>.Shared.Rent(cells);
        try
        {
            for (var row = 0; row < rows; row++)
            {
                var tokens = batch[row].Ids;
                var idRow = ids.AsSpan(row * length, length);
                var maskRow = mask.AsSpan(row * length, length);
                for (var t = 0; t < tokens.Length; t++)
                {
                    idRow[t] = tokens[t];
                }
                idRow[tokens.Length..].Fill(_padId);
                maskRow[..tokens.Length].Fill(1);
                maskRow[tokens.Length..].Clear();
            }
            types.AsSpan(0, cells).Clear();

            long[] shape = [rows, length];
            using var idsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids.AsMemory(0, cells), shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, mask.AsMemory(0, cells), shape);
            using var typesValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, types.AsMemory(0, cells), shape);
            var inputNames = _takesTokenTypes ? new[] { InputIds, AttentionMask, TokenTypeIds } : [InputIds, AttentionMask];
            var inputValues = _takesTokenTypes ? new[] { idsValue, maskValue, typesValue } : [idsValue, maskValue];

            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, inputNames, inputValues, [_hiddenStateOutput]);
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            var perText = length * Dimensions;
            for (var row = 0; row < rows; row++)
            {
                MeanPooling.PoolAndNormalize(hidden.Slice(row * perText, perText), batch[row].Ids.Length,
                    embeddings.Slice(row * Dimensions, Dimensions));
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(types);
        }
    }

    public void Dispose() => _session.Dispose();
}
