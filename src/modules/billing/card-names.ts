/**
 * A card's brand as people say it: the gateway's code (`visa`, `amex`, …)
 * capitalized, American Express in full. Every page, invoice and email names
 * a card through these.
 */
export const brandName = (brand: string) => (brand === 'amex' ? 'American Express' : brand.charAt(0).toUpperCase() + brand.slice(1));

/** "Visa ending in 4242". */
export const cardName = (card: { brand: string; last4: string }) => `${brandName(card.brand)} ending in ${card.last4}`;
