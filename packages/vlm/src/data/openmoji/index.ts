/** OpenMoji 17 as Duet's embedded default dataset (CC BY-SA 4.0: credit it, see attribution.ts). */

export { OPENMOJI_ATTRIBUTION, OPENMOJI_ATTRIBUTION_HTML, OPENMOJI_ATTRIBUTION_MARKDOWN, OPENMOJI_LICENSE, OPENMOJI_LICENSE_URL, OPENMOJI_URL } from "./attribution.js";
export { baseHexcode, openMojiItems, openMojiRoot, openMojiSvgPath, openMojiVersion, type OpenMojiItem } from "./metadata.js";
export { CAPTION_TEMPLATES, OpenMojiCaptioner, ownTags, type CaptionTemplate } from "./captions.js";
export { DEFAULT_SPLIT_FRACTIONS, SPLIT_NAMES, splitOfBase, splitOpenMoji, stableHash, writeSplitJson, type Split, type SplitFractions, type SplitName } from "./split.js";
export { ZERO_SHOT_TEMPLATES, openMojiClasses, subgroupWords, type ZeroShotClasses } from "./classes.js";
export { rasterizeOpenMoji, rasterizeStyle, rasterizeSvg, type ProgressCallback, type RasterizeOptions } from "./rasterize.js";
export { RASTER_CACHE_FORMAT, cacheStem, defaultCacheDir, loadOrRasterize, type RasterCacheResult } from "./cache.js";
export { OpenMoji, collateOpenMoji, loadOpenMoji, type OpenMojiOptions, type OpenMojiSample } from "./dataset.js";
export { EMOJI_STYLES, STYLE_INFO, isEmojiStyle, normalizeHexcode, styleHas, styleSvg, styleVersion, stylesAttributionHtml, type EmojiStyle, type StyleInfo } from "./styles.js";
export { cldrEntries, cldrKeywords, type CldrEntry } from "./cldr.js";
export { EmojiCollection, loadEmojiCollection, type EmojiCollectionOptions, type EmojiRecord, type EmojiSample, type Sampling } from "./collection.js";
export { annotationTwin, BINDING_KINDS, bindingItems, bindingPairs, type BindingKind, type BindingPair } from "./binding.js";
