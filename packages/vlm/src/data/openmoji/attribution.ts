/**
 * OpenMoji is licensed CC BY-SA 4.0, which asks for credit wherever its images are used: the
 * README, the demo's report, anything showing a rasterised emoji. This is OpenMoji's own
 * suggested wording.
 */

export const OPENMOJI_LICENSE = "CC BY-SA 4.0";
export const OPENMOJI_LICENSE_URL = "https://creativecommons.org/licenses/by-sa/4.0/";
export const OPENMOJI_URL = "https://openmoji.org/";

export const OPENMOJI_ATTRIBUTION = `All emojis designed by OpenMoji (${OPENMOJI_URL}) – the open-source emoji and icon project. License: ${OPENMOJI_LICENSE} (${OPENMOJI_LICENSE_URL}).`;

export const OPENMOJI_ATTRIBUTION_MARKDOWN = `All emojis designed by [OpenMoji](${OPENMOJI_URL}) – the open-source emoji and icon project. License: [${OPENMOJI_LICENSE}](${OPENMOJI_LICENSE_URL}).`;

export const OPENMOJI_ATTRIBUTION_HTML = `All emojis designed by <a href="${OPENMOJI_URL}">OpenMoji</a> – the open-source emoji and icon project. License: <a href="${OPENMOJI_LICENSE_URL}">${OPENMOJI_LICENSE}</a>.`;
