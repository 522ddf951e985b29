import { z } from 'zod';
import { EMPTY_ADDRESS, type BillingAddress, type BillingDetails } from '../owners/queries/billing-accounts.ts';

/**
 * R9.14: who invoices are made out to. The billing email receives every
 * billing email (R9.12); name, postal address and tax ID are optional and
 * printed on invoices. The name defaults to the organization's name. The
 * details themselves are kept on the billing account
 * (owners/queries/billing-accounts.ts); this is their form and their print.
 */

/** What an invoice is made out to, as of its issue (kept on the invoice). */
export interface BilledTo extends BillingDetails {
  organizationName: string;
}

/** ISO 3166-1 alpha-2 codes; their English names come from Intl.DisplayNames. */
const COUNTRY_CODES =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'.split(' ');
const regionNames = new Intl.DisplayNames('en', { type: 'region' });

/** Countries for the select, by English name. */
export const COUNTRIES: readonly { code: string; name: string }[] = COUNTRY_CODES.map((code) => ({ code, name: regionNames.of(code) ?? code })).sort((a, b) =>
  a.name.localeCompare(b.name, 'en'),
);
const COUNTRY_SET = new Set(COUNTRY_CODES);

export const countryName = (code: string) => (COUNTRY_SET.has(code) ? (regionNames.of(code) ?? code) : code);

/** The address as lines to print, empty parts left out. */
export function addressLines(address: BillingAddress | null): string[] {
  if (!address) return [];
  const cityLine = [address.postalCode, address.city].filter(Boolean).join(' ');
  return [address.line1, address.line2, [cityLine, address.region].filter(Boolean).join(', '), address.country ? countryName(address.country) : ''].filter((l) => l !== '');
}

const text = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} is at most ${max} characters.`)
    // Line breaks and control characters have no place in a one-line field (they would also break PDF and email lines).
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), `${label} must be one line of text.`);

/** The Billing Details form (R9.14), field names as posted. */
export const billingDetailsSchema = z.object({
  billing_email: z.string().trim().min(1, 'Enter the billing email address.').max(320, 'That email address is too long.').email('Enter a valid email address, like billing@example.com.'),
  billing_name: text(200, 'Billing name'),
  address_line1: text(200, 'Address line 1'),
  address_line2: text(200, 'Address line 2'),
  address_city: text(100, 'City'),
  address_region: text(100, 'State or region'),
  address_postal_code: text(20, 'Postal code'),
  address_country: z
    .string()
    .trim()
    .refine((v) => v === '' || COUNTRY_SET.has(v), 'Choose a country from the list.'),
  tax_id: text(50, 'Tax ID'),
});
export type BillingDetailsForm = z.infer<typeof billingDetailsSchema>;

/** The form's values as details: empty strings are "not given". */
export function detailsFromForm(form: BillingDetailsForm): BillingDetails {
  const address: BillingAddress = {
    line1: form.address_line1,
    line2: form.address_line2,
    city: form.address_city,
    region: form.address_region,
    postalCode: form.address_postal_code,
    country: form.address_country,
  };
  return {
    email: form.billing_email,
    name: form.billing_name || null,
    address: Object.values(address).some((v) => v !== '') ? address : null,
    taxId: form.tax_id || null,
  };
}

/** The details as the form shows them. */
export function formOfDetails(d: BillingDetails): BillingDetailsForm {
  const a = d.address ?? EMPTY_ADDRESS;
  return {
    billing_email: d.email,
    billing_name: d.name ?? '',
    address_line1: a.line1,
    address_line2: a.line2,
    address_city: a.city,
    address_region: a.region,
    address_postal_code: a.postalCode,
    address_country: a.country,
    tax_id: d.taxId ?? '',
  };
}

/** A snapshot as stored on an invoice, and back. */
export const billedToJson = (b: BilledTo): string => JSON.stringify(b);
export function parseBilledTo(json: string | null): BilledTo | null {
  if (!json) return null;
  try {
    const v = JSON.parse(json) as BilledTo;
    return typeof v === 'object' && v !== null && typeof v.email === 'string' ? v : null;
  } catch {
    return null;
  }
}
