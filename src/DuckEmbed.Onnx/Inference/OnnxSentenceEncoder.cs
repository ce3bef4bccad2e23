using DuckEmbed.Onnx.Devices;
using DuckEmbed.Onnx.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DuckEmbed.Onnx.Inference;

/// <summary>
/// Runs a BERT-style ONNX model on batches of token ids, each batch padded to its own longest text, and returns
/// unit-length sentence embeddings: the graph's own where <see cref="Graph.PoolingGraph"/> appended the pooling, else
/// <c>last_hidden_state</c> pooled here.
/// </summary>
internal sealed class OnnxSentenceEncoder : IBatchEncoder
{
    private const string InputIds = "input_ids";
    private const string AttentionMask = "attention_mask";
    private const string TokenTypeIds = "token_type_ids";
    private const string LastHiddenState = "last_hidden_state";

    private readonly InferenceSession _session;
    private readonly SentencePooling _pooling;
    private readonly int _hiddenDimensions;
    private readonly bool _takesTokenTypes;
    private readonly string _hiddenStateOutput;
    private readonly int _padId;
    private readonly OrtMemoryInfo? _pinnedMemory;
    private readonly OrtAllocator _inputAllocator;

    public OnnxSentenceEncoder(InferenceSession session, int padId, ExecutionDevice device, SentencePooling pooling, int deviceId = 0,
        ILogger? logger = null)
    {
        _session = session;
        _pooling = pooling;
        _padId = padId;
        foreach (var required in new[] { InputIds, AttentionMask })
        {
            if (!session.InputMetadata.ContainsKey(required))
            {
                throw new ModelLoadException(ModelSetting.ModelPath, $"The model has no '{required}' input; it is not a BERT-style sentence-transformer.");
            }
        }
        _takesTokenTypes = session.InputMetadata.ContainsKey(TokenTypeIds);
        _hiddenStateOutput = session.OutputMetadata.ContainsKey(LastHiddenState)
            ? LastHiddenState
            : session.OutputMetadata.FirstOrDefault(o => o.Value.Dimensions.Length == 3).Key
              ?? throw new ModelLoadException(ModelSetting.ModelPath, "The model has no [batch, tokens, dimensions] output (last_hidden_state); it is not a sentence-transformer's encoder.");
        var dimensions = session.OutputMetadata[_hiddenStateOutput].Dimensions;
        _hiddenDimensions = dimensions[^1] > 0
            ? dimensions[^1]
            : throw new ModelLoadException(ModelSetting.ModelPath, "The model's hidden-state output has no fixed embedding size.");
        OneLengthOnly = TakesOneLengthOnly(session);
        // A graph with DuckEmbed's pooling appended (PoolingGraph) gives [batch, dimensions]: nothing to pool here.
        PoolsInGraph = session.OutputMetadata.ContainsKey(Graph.PoolingGraph.OutputName);
        Dimensions = pooling.TruncateDimensions is { } truncated
            ? truncated is > 0 && truncated <= _hiddenDimensions
                ? truncated
                : throw new ModelLoadException(ModelSetting.TruncateDimensions, $"{truncated} is not between 1 and the model's {_hiddenDimensions} dimensions.")
            : _hiddenDimensions;
        // On CUDA the inputs are written into page-locked host memory, which the GPU reads by DMA without a staging
        // copy; on the CPU, ordinary memory is what the kernels read.
        if (device == ExecutionDevice.Cuda)
        {
            var pinned = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.CpuOutput);
            try
            {
                _inputAllocator = new OrtAllocator(session, pinned);
                _pinnedMemory = pinned;
            }
            catch (OnnxRuntimeException e)
            {
                // Pinned memory only saves a staging copy; without it the inputs go from ordinary memory.
                pinned.Dispose();
                (logger ?? NullLogger.Instance).NoPinnedMemory(deviceId, InferenceSessionFactory.FirstLine(e.Message));
                _inputAllocator = OrtAllocator.DefaultInstance;
            }
        }
        else
        {
            _inputAllocator = OrtAllocator.DefaultInstance;
        }
    }

    /// <summary>
    /// Whether the model's attention has no padding mask (<see cref="Graph.AttentionFusion"/>, said in the model's own
    /// metadata), so that a batch must hold texts of one token count: padding would be attended to, and every vector
    /// of the batch would be wrong.
    /// </summary>
    internal bool OneLengthOnly { get; }

    /// <summary>Whether <paramref name="session"/>'s model says it has no padding mask (<see cref="OneLengthOnly"/>).</summary>
    internal static bool TakesOneLengthOnly(InferenceSession session) =>
        session.ModelMetadata.CustomMetadataMap.ContainsKey(Graph.AttentionFusion.MaskFreeMetadataKey);

    /// <summary>The length of one embedding.</summary>
    public int Dimensions { get; }

    /// <summary>Whether the graph pools (<see cref="Graph.PoolingGraph"/>) and only embeddings leave the model.</summary>
    internal bool PoolsInGraph { get; }

    /// <summary>Where the inputs are written before a run: <c>Cpu</c>, or <c>CudaPinned</c> on CUDA.</summary>
    internal string InputMemory => _inputAllocator.Info.Name;

    /// <summary>Embeds <paramref name="batch"/>; row i of <paramref name="embeddings"/> receives text i.</summary>
    public void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken = default)
    {
        using var prepared = Prepare(batch);
        Run(prepared, embeddings, cancellationToken);
    }

    /// <summary>The batch's ids, mask and token types, padded to its longest text, in host buffers (pinned on CUDA).</summary>
    public PreparedBatch Prepare(IReadOnlyList<EncodedText> batch)
    {
        var rows = batch.Count;
        var length = 0;
        foreach (var text in batch)
        {
            length = Math.Max(length, text.Ids.Length);
        }
        if (OneLengthOnly && batch.Any(text => text.Ids.Length != length))
        {
            throw new InvalidOperationException("A batch of texts of different token counts reached a model whose attention has no padding mask.");
        }
        long[] shape = [rows, length];
        var inputs = new Inputs(length);
        try
        {
            inputs.Ids = OrtValue.CreateAllocatedTensorValue(_inputAllocator, TensorElementType.Int64, shape);
            inputs.Mask = OrtValue.CreateAllocatedTensorValue(_inputAllocator, TensorElementType.Int64, shape);
            inputs.Types = _takesTokenTypes ? OrtValue.CreateAllocatedTensorValue(_inputAllocator, TensorElementType.Int64, shape) : null;
            var idCells = inputs.Ids.GetTensorMutableDataAsSpan<long>();
            var maskCells = inputs.Mask.GetTensorMutableDataAsSpan<long>();
            for (var row = 0; row < rows; row++)
            {
                var tokens = batch[row].Ids.Span;
                var idRow = idCells.Slice(row * length, length);
                var maskRow = maskCells.Slice(row * length, length);
                for (var t = 0; t < tokens.Length; t++)
                {
                    idRow[t] = tokens[t];
                }
                idRow[tokens.Length..].Fill(_padId);
                maskRow[..tokens.Length].Fill(1);
                maskRow[tokens.Length..].Clear();
            }
            inputs.Types?.GetTensorMutableDataAsSpan<long>().Clear();
            return new PreparedBatch(batch, inputs);
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    /// <summary>The native input tensors of one prepared batch.</summary>
    private sealed class Inputs(int length) : IDisposable
    {
        public int Length => length;

        public OrtValue Ids { get; set; } = null!;

        public OrtValue Mask { get; set; } = null!;

        public OrtValue? Types { get; set; }

        public void Dispose()
        {
            Ids?.Dispose();
            Mask?.Dispose();
            Types?.Dispose();
        }
    }

    /// <summary>Runs a batch this encoder prepared.</summary>
    public void Run(PreparedBatch prepared, Span<float> embeddings, CancellationToken cancellationToken)
    {
        var batch = prepared.Texts;
        var rows = batch.Count;
        var inputs = prepared.Inputs as Inputs ?? throw new ArgumentException("The batch was prepared by another encoder.", nameof(prepared));
        var (ids, mask, types, length) = (inputs.Ids, inputs.Mask, inputs.Types, inputs.Length);

        // IOBinding: the inputs go to the device from the prepared buffers, and the output comes back to host memory in
        // one copy per batch: the sentence embeddings where the graph pools, else the hidden states, pooled here.
        using var binding = _session.CreateIoBinding();
        binding.BindInput(InputIds, ids);
        binding.BindInput(AttentionMask, mask);
        if (types is not null)
        {
            binding.BindInput(TokenTypeIds, types);
        }
        binding.BindOutputToDevice(PoolsInGraph ? Graph.PoolingGraph.OutputName : _hiddenStateOutput, OrtMemoryInfo.DefaultInstance);
        using var runOptions = new RunOptions();
        // Ctrl-C reaches a run in flight (a large batch on the CPU takes seconds): ONNX Runtime checks the flag
        // between operators and stops with an error, which is the cancellation it is.
        using (cancellationToken.Register(() => runOptions.Terminate = true))
        {
            try
            {
                _session.RunWithBinding(runOptions, binding);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
        using var outputs = binding.GetOutputValues();
        if (PoolsInGraph)
        {
            outputs[0].GetTensorDataAsSpan<float>()[..(rows * Dimensions)].CopyTo(embeddings);
            return;
        }
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        var perText = length * _hiddenDimensions;
        for (var row = 0; row < rows; row++)
        {
            _pooling.PoolAndNormalize(hidden.Slice(row * perText, perText), batch[row].Ids.Length, _hiddenDimensions,
                embeddings.Slice(row * Dimensions, Dimensions));
        }
    }

    public void Dispose()
    {
        if (_pinnedMemory is not null)
        {
            _inputAllocator.Dispose();
            _pinnedMemory.Dispose();
        }
        _session.Dispose();
    }
}
