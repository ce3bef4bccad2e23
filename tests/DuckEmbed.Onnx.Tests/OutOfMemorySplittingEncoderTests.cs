using System.Reflection;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Tests;

public sealed class OutOfMemorySplittingEncoderTests
{
    // ONNX Runtime's exception has no public constructor; these are the messages its CUDA provider and arena give.
    internal static OnnxRuntimeException OrtError(string message)
    {
        var errorCode = typeof(OnnxRuntimeException).Assembly.GetType("Microsoft.ML.OnnxRuntime.ErrorCode", throwOnError: true)!;
        return (OnnxRuntimeException)Activator.CreateInstance(typeof(OnnxRuntimeException), BindingFlags.NonPublic | BindingFlags.Instance,
            null, [Enum.ToObject(errorCode, 1), message], null)!;
    }

    /// <summary>A device that holds at most <c>capacity</c> texts per run; each embedding is (text length, 1).</summary>
    private sealed class FakeDevice(int capacity, Exception? failure = null) : IBatchEncoder
    {
        public List<int> Runs { get; } = [];

        public int Dimensions => 2;

        public void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken)
        {
            Runs.Add(batch.Count);
            if (batch.Count > capacity)
            {
                throw failure ?? OrtError("[ONNXRuntimeError] : 1 : FAIL : CUDA failure 2: out of memory ; GPU=0");
            }
            for (var i = 0; i < batch.Count; i++)
            {
                embeddings[2 * i] = batch[i].Ids.Length;
                embeddings[2 * i + 1] = 1;
            }
        }

        public void Dispose() { }
    }

    private static EncodedText[] Texts(int count) => Enumerable.Range(1, count).Select(n => new EncodedText(new int[n], false)).ToArray();

    [Fact]
    public void A_batch_too_large_for_the_device_is_split_until_it_fits_and_every_text_keeps_its_embedding()
    {
        var device = new FakeDevice(capacity: 3);
        using var encoder = new OutOfMemorySplittingEncoder(device, NullLogger.Instance);
        var embeddings = new float[16];

        encoder.Encode(Texts(8), embeddings, CancellationToken.None);

        Assert.Equal([1, 1, 2, 1, 3, 1, 4, 1, 5, 1, 6, 1, 7, 1, 8, 1], embeddings);
        Assert.Equal([8, 4, 2, 2, 4, 2, 2], device.Runs);
    }

    [Fact]
    public void A_single_text_that_does_not_fit_is_an_error_not_a_lost_row()
    {
        using var encoder = new OutOfMemorySplittingEncoder(new FakeDevice(capacity: 0), NullLogger.Instance);

        var error = Assert.Throws<OnnxRuntimeException>(() => encoder.Encode(Texts(4), new float[8], CancellationToken.None));

        Assert.Contains("out of memory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_failures_are_not_retried()
    {
        var device = new FakeDevice(capacity: 0, OrtError("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions"));
        using var encoder = new OutOfMemorySplittingEncoder(device, NullLogger.Instance);

        Assert.Throws<OnnxRuntimeException>(() => encoder.Encode(Texts(4), new float[8], CancellationToken.None));
        Assert.Equal([4], device.Runs);
    }

    [Theory]
    [InlineData("[ONNXRuntimeError] : 1 : FAIL : CUDA failure 2: out of memory ; GPU=0", true)]
    [InlineData("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Failed to allocate memory for requested buffer of size 805306368", true)]
    [InlineData("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions for input", false)]
    public void Out_of_memory_is_recognised_from_cuda_and_arena_messages(string message, bool outOfMemory)
    {
        Assert.Equal(outOfMemory, OutOfMemorySplittingEncoder.IsOutOfMemory(OrtError(message)));
    }
}
