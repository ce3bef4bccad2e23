using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// A stand-in model: each text's vector is derived from its SHA-256, so a test can recompute what any row must
/// hold. <see cref="BeforeCall"/> lets a test cancel or fail the run at the n-th call, <see cref="DuringCall"/> hold it open.
/// </summary>
internal sealed class HashEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 8;

    private int _calls;
    private int _texts;

    // The processor calls a generator for several windows at once, as any may be.
    public int Calls => _calls;

    /// <summary>Texts embedded over all calls.</summary>
    public int Texts => _texts;

    public Action<int>? BeforeCall { get; init; }

    /// <summary>Length of the vectors this instance makes (<see cref="Dimensions"/> unless a test wants real-model sizes).</summary>
    public int VectorLength { get; init; } = Dimensions;

    public static float[] VectorOf(string text) => VectorOf(text, Dimensions);

    public static float[] VectorOf(string text, int length)
    {
        var vector = new float[length];
        Write(text, vector);
        return vector;
    }

    private static void Write(string text, Span<float> vector)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes.AsSpan(0, Encoding.UTF8.GetBytes(text, bytes)), hash);
        ArrayPool<byte>.Shared.Return(bytes);
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = hash[i % hash.Length] - 127.5f + i / 1000f;
        }
    }

    /// <summary>
    /// Says its <see cref="VectorLength"/> in its metadata and writes the vectors into the memory the processor gives
    /// (<see cref="EmbeddingJob.VectorDestinationKey"/>), as the ONNX generator does; otherwise each is an array of its own.
    /// </summary>
    public bool WritesIntoDestination { get; init; }

    /// <summary>The destinations the processor gave, one per call that had one.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Memory<float>> Destinations { get; } = new();

    /// <summary>Awaited inside the n-th call, after <see cref="BeforeCall"/>: a test holds a call open with it.</summary>
    public Func<int, CancellationToken, Task>? DuringCall { get; init; }

    private int _callsNow;
    private int _mostCallsAtOnce;

    /// <summary>The most calls that were in progress at the same time.</summary>
    public int MostCallsAtOnce => _mostCallsAtOnce;

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Counted before the hook, which may throw.
        var call = Interlocked.Increment(ref _calls);
        var now = Interlocked.Increment(ref _callsNow);
        try
        {
            int most;
            while (now > (most = _mostCallsAtOnce) && Interlocked.CompareExchange(ref _mostCallsAtOnce, now, most) != most)
            {
            }
            BeforeCall?.Invoke(call);
            if (DuringCall is not null)
            {
                await DuringCall(call, cancellationToken);
            }
            cancellationToken.ThrowIfCancellationRequested();
            var texts = values as IReadOnlyList<string> ?? values.ToList();
            Interlocked.Add(ref _texts, texts.Count);
            Memory<float> vectors;
            if (WritesIntoDestination && options?.AdditionalProperties?.TryGetValue(EmbeddingJob.VectorDestinationKey, out var given) == true)
            {
                vectors = (Memory<float>)given!;
                Destinations.Enqueue(vectors);
            }
            else
            {
                vectors = new float[texts.Count * VectorLength];
            }
            var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
            long tokens = 0;
            for (var i = 0; i < texts.Count; i++)
            {
                var vector = vectors.Slice(i * VectorLength, VectorLength);
                Write(texts[i], vector.Span);
                result.Add(new Embedding<float>(vector));
                tokens += texts[i].Length;
            }
            result.Usage = new UsageDetails { InputTokenCount = tokens };
            return result;
        }
        finally
        {
            Interlocked.Decrement(ref _callsNow);
        }
    }

    /// <summary>What the generator says of itself when the processor asks (<see cref="EmbeddingJob.GeneratorSettingsKey"/>); <c>null</c>: nothing.</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(IReadOnlyDictionary<string, string>) && Equals(serviceKey, EmbeddingJob.GeneratorSettingsKey) ? Settings
        : serviceType == typeof(EmbeddingGeneratorMetadata) && serviceKey is null && WritesIntoDestination ? new EmbeddingGeneratorMetadata(defaultModelDimensions: VectorLength)
        : null;

    public void Dispose() { }
}
