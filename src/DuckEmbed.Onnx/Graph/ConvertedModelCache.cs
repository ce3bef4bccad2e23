using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Converted models (int8, fp16) kept on disk, so that only the first run with a model and precision pays for
/// the conversion (int8: the calibration run and the graph edit). A file is named by what makes it: the fp32
/// model's SHA-256, the precision, the converter's version and the tokens per text the calibration used; it is
/// written to a temporary file and renamed, so a run killed while writing leaves no half file under that name.
/// </summary>
internal sealed class ConvertedModelCache(string directory, ILogger logger)
{
    /// <summary>
    /// Bump when a conversion changes what it writes (quantization scheme, calibration texts, thresholds), so that
    /// files of the old converter are not read.
    /// </summary>
    internal const int ConverterVersion = 2;

    /// <summary>The converted model: read from the cache, or made by <paramref name="convert"/> and stored.</summary>
    public byte[] GetOrCreate(string modelSha256, ModelPrecision precision, int maxLength, Func<byte[]> convert)
    {
        var path = PathFor(modelSha256, precision, maxLength);
        if (TryRead(path) is { } cached)
        {
            logger.LogInformation("Converted {Precision} model read from {Path}", precision.ToString().ToLowerInvariant(), path);
            return cached;
        }
        var converted = convert();
        TryWrite(path, converted);
        return converted;
    }

    internal string PathFor(string modelSha256, ModelPrecision precision, int maxLength)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{modelSha256}|{precision}|{ConverterVersion}|{maxLength}");
        var keyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return Path.Combine(directory, string.Create(CultureInfo.InvariantCulture,
            $"{modelSha256[..16]}-{precision.ToString().ToLowerInvariant()}-v{ConverterVersion}-{keyHash}.onnx"));
    }

    private byte[]? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The converted model cache {Path} cannot be read ({Reason}); converting again", path, e.Message);
            return null;
        }
    }

    // A cache that cannot be written (read-only folder, full disk) costs the next run the conversion, nothing more.
    private void TryWrite(string path, byte[] converted)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(temporary, converted);
            File.Move(temporary, path, overwrite: true);
            logger.LogInformation("Converted model stored in {Path} for the next run", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The converted model cannot be stored in {Directory} ({Reason}); the next run converts it again", directory, e.Message);
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                logger.LogDebug("{Temporary} not deleted: {Reason}", temporary, cleanup.Message);
            }
        }
    }
}
