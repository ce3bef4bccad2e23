using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Converted models (int8, fp16) kept on disk, so that only the first run with a model and precision pays for
/// the conversion (int8: the calibration run and the graph edit). A file is named by what makes it: the fp32
/// model's SHA-256, the precision, the converter's version and the tokens per text the calibration used.
/// </summary>
/// <remarks>
/// A name proves nothing: a file copied, swapped, truncated or left half-written under it would be run as this model.
/// So each file starts with a header saying what it was made from and the SHA-256 of the model that follows; a file
/// whose header or checksum does not match what this run asks for is never used, only converted again and replaced.
/// Files are written to a temporary name and renamed, and temporary files a killed run left behind are removed.
/// </remarks>
internal sealed class ConvertedModelCache(string directory, ILogger logger)
{
    /// <summary>
    /// Bump when a conversion changes what it writes (quantization scheme, calibration texts, thresholds), so that
    /// files of the old converter are not read.
    /// </summary>
    internal const int ConverterVersion = 4;

    private const string Magic = "DUCKEMBED-CONVERTED-MODEL";
    private const string TemporarySuffix = ".tmp";

    /// <summary>A temporary file not written to for this long is a killed run's, not a conversion still writing.</summary>
    internal static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(10);

    /// <summary>The converted model: read from the cache, or made by <paramref name="convert"/> and stored.</summary>
    /// <param name="modelSha256">The fp32 model's SHA-256.</param>
    /// <param name="precision">What it is converted to.</param>
    /// <param name="maxLength">Tokens per text the calibration used.</param>
    /// <param name="convert">Makes the converted model.</param>
    /// <param name="variant">What else the conversion depends on (int8: the weight layout this CPU computes exactly,
    /// so that a cache shared by machines with other CPUs keeps one file for each).</param>
    public byte[] GetOrCreate(string modelSha256, ModelPrecision precision, int maxLength, Func<byte[]> convert, string variant = "")
    {
        var path = PathFor(modelSha256, precision, maxLength, variant);
        RemoveAbandonedTemporaryFiles();
        var expected = new Header(modelSha256, precision.ToString().ToLowerInvariant() + (variant.Length == 0 ? "" : "-" + variant), ConverterVersion, maxLength, "", 0);
        if (TryRead(path, expected) is { } cached)
        {
            logger.ConvertedModelRead(precision.ToString().ToLowerInvariant(), path);
            return cached;
        }
        var converted = convert();
        TryWrite(path, expected, converted);
        return converted;
    }

    internal string PathFor(string modelSha256, ModelPrecision precision, int maxLength, string variant = "")
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{modelSha256}|{precision}|{ConverterVersion}|{maxLength}|{variant}");
        var keyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return Path.Combine(directory, string.Create(CultureInfo.InvariantCulture,
            $"{modelSha256[..16]}-{precision.ToString().ToLowerInvariant()}-v{ConverterVersion}-{keyHash}.onnx"));
    }

    /// <summary>What a cached file claims to be: what it was made from, and the checksum of the model it holds.</summary>
    private sealed record Header(string SourceModelSha256, string Precision, int ConverterVersion, int MaxLength, string ModelSha256, long ModelBytes)
    {
        public string? DifferenceFrom(Header expected) =>
            SourceModelSha256 != expected.SourceModelSha256 ? $"was converted from another model (SHA-256 {SourceModelSha256[..Math.Min(16, SourceModelSha256.Length)]}…)"
            : Precision != expected.Precision ? $"holds a {Precision} model, not {expected.Precision}"
            : ConverterVersion != expected.ConverterVersion ? $"was made by converter version {ConverterVersion}, not {expected.ConverterVersion}"
            : MaxLength != expected.MaxLength ? $"was calibrated for {MaxLength} tokens, not {expected.MaxLength}"
            : null;
    }

    private byte[]? TryRead(string path, Header expected)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.ConvertedModelUnreadable(path, e.Message);
            return null;
        }
        var (model, problem) = Unpack(bytes, expected);
        if (problem is not null)
        {
            logger.ConvertedModelRefused(path, problem);
        }
        return model;
    }

    private static (byte[]? Model, string? Problem) Unpack(byte[] bytes, Header expected)
    {
        var magicEnd = Array.IndexOf(bytes, (byte)'\n');
        if (magicEnd < 0 || !bytes.AsSpan(0, magicEnd).SequenceEqual(Encoding.ASCII.GetBytes(Magic)))
        {
            return (null, bytes.Length == 0 ? "is empty" : "is not a DuckEmbed converted model (no header)");
        }
        var headerEnd = Array.IndexOf(bytes, (byte)'\n', magicEnd + 1);
        Header? header = null;
        try
        {
            header = headerEnd < 0 ? null : JsonSerializer.Deserialize<Header>(bytes.AsSpan(magicEnd + 1, headerEnd - magicEnd - 1));
        }
        catch (JsonException)
        {
        }
        if (header is null || header.SourceModelSha256 is null || header.Precision is null || header.ModelSha256 is null)
        {
            return (null, "has a damaged header");
        }
        if (header.DifferenceFrom(expected) is { } difference)
        {
            return (null, difference);
        }
        var model = bytes.AsSpan(headerEnd + 1);
        if (model.Length != header.ModelBytes)
        {
            return (null, $"is cut short or damaged ({model.Length:N0} of its {header.ModelBytes:N0} bytes)");
        }
        return Convert.ToHexStringLower(SHA256.HashData(model)) == header.ModelSha256
            ? (model.ToArray(), null)
            : (null, "is damaged (its checksum does not match)");
    }

    // A cache that cannot be written (read-only folder, full disk, a file-size limit) costs the next run the
    // conversion, nothing more. .NET reports a write past the file-size limit (EFBIG) as ArgumentOutOfRangeException.
    private void TryWrite(string path, Header expected, byte[] converted)
    {
        var temporary = string.Create(CultureInfo.InvariantCulture, $"{path}.{Environment.ProcessId}-{Guid.NewGuid():N}{TemporarySuffix}");
        var header = expected with { ModelSha256 = Convert.ToHexStringLower(SHA256.HashData(converted)), ModelBytes = converted.Length };
        try
        {
            Directory.CreateDirectory(directory);
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(Encoding.ASCII.GetBytes(Magic + "\n"));
                file.Write(JsonSerializer.SerializeToUtf8Bytes(header));
                file.WriteByte((byte)'\n');
                file.Write(converted);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            logger.ConvertedModelStored(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            logger.ConvertedModelNotStored(directory, e.Message);
            TryDelete(temporary);
        }
    }

    private void RemoveAbandonedTemporaryFiles()
    {
        string[] temporaries;
        try
        {
            temporaries = Directory.Exists(directory) ? Directory.GetFiles(directory, "*" + TemporarySuffix) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var temporary in temporaries)
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(temporary) > AbandonedAfter)
            {
                TryDelete(temporary);
            }
        }
    }

    private void TryDelete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.TemporaryNotDeleted(temporary, e.Message);
        }
    }
}
