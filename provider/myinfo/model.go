package myinfo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Person is the typed Myinfo v3 person, one field per attribute of the
// published sample person, plus homeno, mailadd and billadd. A field is nil
// (or an empty list) when the attribute was not returned; an item the
// provider marked unavailable is non-nil with Unavailable set.
//
// Raw keeps every attribute exactly as received, including attributes this
// type does not know.
type Person struct {
	PartialUINFIN        *Value[string] `json:"partialuinfin,omitempty"`
	UINFIN               *Value[string] `json:"uinfin,omitempty"`
	Name                 *Value[string] `json:"name,omitempty"`
	HanyuPinyinName      *Value[string] `json:"hanyupinyinname,omitempty"`
	AliasName            *Value[string] `json:"aliasname,omitempty"`
	HanyuPinyinAliasName *Value[string] `json:"hanyupinyinaliasname,omitempty"`
	MarriedName          *Value[string] `json:"marriedname,omitempty"`
	Sex                  *Code          `json:"sex,omitempty"`
	Race                 *Code          `json:"race,omitempty"`
	SecondaryRace        *Code          `json:"secondaryrace,omitempty"`
	Dialect              *Code          `json:"dialect,omitempty"`
	Nationality          *Code          `json:"nationality,omitempty"`
	DOB                  *Value[string] `json:"dob,omitempty"` // YYYY-MM-DD
	BirthCountry         *Code          `json:"birthcountry,omitempty"`
	ResidentialStatus    *Code          `json:"residentialstatus,omitempty"`
	PassportNumber       *Value[string] `json:"passportnumber,omitempty"`
	PassportExpiryDate   *Value[string] `json:"passportexpirydate,omitempty"`

	RegAdd       *Address           `json:"regadd,omitempty"`
	MailAdd      *Address           `json:"mailadd,omitempty"`
	BillAdd      *Address           `json:"billadd,omitempty"`
	HousingType  *Code              `json:"housingtype,omitempty"`
	HDBType      *Code              `json:"hdbtype,omitempty"`
	HDBOwnership List[HDBOwnership] `json:"hdbownership,omitempty"`
	OwnerPrivate *Value[bool]       `json:"ownerprivate,omitempty"`

	Email    *Value[string] `json:"email,omitempty"`
	MobileNo *Phone         `json:"mobileno,omitempty"`
	HomeNo   *Phone         `json:"homeno,omitempty"`

	Marital                  *Code                      `json:"marital,omitempty"`
	MarriageCertNo           *Value[string]             `json:"marriagecertno,omitempty"`
	CountryOfMarriage        *Code                      `json:"countryofmarriage,omitempty"`
	MarriageDate             *Value[string]             `json:"marriagedate,omitempty"`
	DivorceDate              *Value[string]             `json:"divorcedate,omitempty"`
	ChildrenBirthRecords     List[ChildBirthRecord]     `json:"childrenbirthrecords,omitempty"`
	SponsoredChildrenRecords List[SponsoredChildRecord] `json:"sponsoredchildrenrecords,omitempty"`

	Occupation       *CodedValue    `json:"occupation,omitempty"`
	Employment       *Value[string] `json:"employment,omitempty"`
	PassType         *Code          `json:"passtype,omitempty"`
	PassStatus       *Value[string] `json:"passstatus,omitempty"`
	PassExpiryDate   *Value[string] `json:"passexpirydate,omitempty"`
	EmploymentSector *Value[string] `json:"employmentsector,omitempty"`

	Vehicles               List[Vehicle]           `json:"vehicles,omitempty"`
	DrivingLicence         *DrivingLicence         `json:"drivinglicence,omitempty"`
	AcademicQualifications *AcademicQualifications `json:"academicqualifications,omitempty"`
	MerdekaGen             *SchemeEligibility      `json:"merdekagen,omitempty"`
	PioneerGen             *SchemeEligibility      `json:"pioneergen,omitempty"`

	NOABasic        *NOABasic        `json:"noa-basic,omitempty"`
	NOA             *NOA             `json:"noa,omitempty"`
	NOAHistoryBasic *NOAHistoryBasic `json:"noahistory-basic,omitempty"`
	NOAHistory      *NOAHistory      `json:"noahistory,omitempty"`

	CPFContributions             *CPFContributions             `json:"cpfcontributions,omitempty"`
	CPFEmployers                 *CPFEmployers                 `json:"cpfemployers,omitempty"`
	CPFBalances                  *CPFBalances                  `json:"cpfbalances,omitempty"`
	CPFHousingWithdrawal         *CPFHousingWithdrawal         `json:"cpfhousingwithdrawal,omitempty"`
	CPFHomeProtectionScheme      *CPFHomeProtectionScheme      `json:"cpfhomeprotectionscheme,omitempty"`
	CPFDependantProtectionScheme *CPFDependantProtectionScheme `json:"cpfdependantprotectionscheme,omitempty"`
	CPFInvestmentScheme          *CPFInvestmentScheme          `json:"cpfinvestmentscheme,omitempty"`

	// Raw holds every attribute as received, known or not, keyed by name.
	Raw map[string]json.RawMessage `json:"-"`
}

// ParsePerson decodes a Myinfo v3 person JSON object. Unknown attributes are
// kept in [Person.Raw]; a document that is not a JSON object, or a known
// attribute whose shape cannot be read, is an error naming the attribute
// (never its value).
func ParsePerson(raw []byte) (*Person, error) {
	if !isObject(raw) {
		return nil, errors.New("myinfo: person data is not a JSON object")
	}
	p := new(Person)
	if err := p.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return p, nil
}

// UnmarshalJSON decodes the person object and fills [Person.Raw].
func (p *Person) UnmarshalJSON(b []byte) error {
	if !isObject(b) {
		return errors.New("myinfo: person data is not a JSON object")
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(b, &attrs); err != nil {
		return fmt.Errorf("myinfo: person data: %w", err)
	}
	type plain Person // without methods, so Unmarshal does not recurse
	var q plain
	if err := json.Unmarshal(b, &q); err != nil {
		return attributeError(attrs, err)
	}
	q.Raw = attrs
	*p = Person(q)
	return nil
}

// attributeError names the first attribute (in name order) that fails to
// decode on its own, so the error says where the problem is.
func attributeError(attrs map[string]json.RawMessage, whole error) error {
	type plain Person
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		one, err := json.Marshal(map[string]json.RawMessage{name: attrs[name]})
		if err != nil {
			return fmt.Errorf("myinfo: attribute %q: %w", name, err)
		}
		var q plain
		if err := json.Unmarshal(one, &q); err != nil {
			return fmt.Errorf("myinfo: attribute %q: %w", name, err)
		}
	}
	return fmt.Errorf("myinfo: person data: %w", whole)
}

// Meta is the provenance Myinfo attaches to a top-level item, and the
// unavailable marker that may replace the item's data.
type Meta struct {
	Classification string `json:"classification,omitempty"` // "C": confidential
	Source         string `json:"source,omitempty"`         // 1 government-verified, 2 user provided, 3 field, 4 verified by a service
	LastUpdated    string `json:"lastupdated,omitempty"`    // YYYY-MM-DD
	// Unavailable is set when Myinfo has no data for the item; the item
	// then carries only its provenance.
	Unavailable bool `json:"unavailable,omitempty"`
}

// Scalar is the set of types a [Value] can hold. Use json.Number for
// amounts and counts: it keeps the provider's digits exactly.
type Scalar interface {
	~string | ~bool
}

// Value is an item with a plain value: {"value": …} plus [Meta].
// Decoding is lenient: a number or boolean read into a string keeps its JSON
// text, a numeric string reads into json.Number, "" and null give the zero
// value, and a bare scalar without the {"value": …} wrapper is accepted.
type Value[T Scalar] struct {
	Value T `json:"value"`
	Meta
}

// Get returns the value and whether it is there: false for a nil item or one
// marked unavailable. It is safe on a nil *Value.
func (v *Value[T]) Get() (T, bool) {
	if v == nil || v.Unavailable {
		var zero T
		return zero, false
	}
	return v.Value, true
}

// UnmarshalJSON implements the lenient decoding described on [Value].
func (v *Value[T]) UnmarshalJSON(b []byte) error {
	if !isObject(b) {
		*v = Value[T]{}
		return decodeScalar(b, &v.Value)
	}
	var w struct {
		Value json.RawMessage `json:"value"`
		Meta
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	v.Meta = w.Meta
	return decodeScalar(w.Value, &v.Value)
}

// MarshalJSON writes the item back in Myinfo's shape, without a value when
// it is unavailable.
func (v Value[T]) MarshalJSON() ([]byte, error) {
	if v.Unavailable {
		return json.Marshal(v.Meta)
	}
	return json.Marshal(struct {
		Value T `json:"value"`
		Meta
	}{v.Value, v.Meta})
}

// Code is a coded item: {"code": …, "desc": …} plus [Meta]. Code and Desc
// accept numbers as their JSON text.
type Code struct {
	Code string `json:"code"`
	Desc string `json:"desc"`
	Meta
}

// Get returns the code and whether it is there: false for a nil item or one
// marked unavailable. It is safe on a nil *Code.
func (c *Code) Get() (string, bool) {
	if c == nil || c.Unavailable {
		return "", false
	}
	return c.Code, true
}

// UnmarshalJSON decodes a coded item; a bare string is taken as the code.
func (c *Code) UnmarshalJSON(b []byte) error {
	if !isObject(b) {
		*c = Code{}
		return decodeScalar(b, &c.Code)
	}
	var w struct {
		Code json.RawMessage `json:"code"`
		Desc json.RawMessage `json:"desc"`
		Meta
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	c.Meta = w.Meta
	if err := decodeScalar(w.Code, &c.Code); err != nil {
		return err
	}
	return decodeScalar(w.Desc, &c.Desc)
}

// MarshalJSON writes the item back in Myinfo's shape, without code and desc
// when it is unavailable.
func (c Code) MarshalJSON() ([]byte, error) {
	if c.Unavailable {
		return json.Marshal(c.Meta)
	}
	type plain Code
	return json.Marshal(plain(c))
}

// CodedValue is an item that is coded when the code table has an entry and
// free text otherwise (occupation): code, desc and value are all optional.
type CodedValue struct {
	Code  string `json:"code,omitempty"`
	Desc  string `json:"desc,omitempty"`
	Value string `json:"value,omitempty"`
	Meta
}

// UnmarshalJSON decodes the item leniently, like [Value] and [Code].
func (c *CodedValue) UnmarshalJSON(b []byte) error {
	if !isObject(b) {
		*c = CodedValue{}
		return decodeScalar(b, &c.Value)
	}
	var w struct {
		Code  json.RawMessage `json:"code"`
		Desc  json.RawMessage `json:"desc"`
		Value json.RawMessage `json:"value"`
		Meta
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	c.Meta = w.Meta
	return errors.Join(
		decodeScalar(w.Code, &c.Code),
		decodeScalar(w.Desc, &c.Desc),
		decodeScalar(w.Value, &c.Value),
	)
}

// Address is a Myinfo address. Type "SG" fills the structured fields;
// type "Unformatted" (some documents spell it "UNFORMATTED") fills Line1 and
// Line2. Country is set for both.
type Address struct {
	Type     string         `json:"type,omitempty"`
	Block    *Value[string] `json:"block,omitempty"`
	Building *Value[string] `json:"building,omitempty"`
	Floor    *Value[string] `json:"floor,omitempty"`
	Unit     *Value[string] `json:"unit,omitempty"`
	Street   *Value[string] `json:"street,omitempty"`
	Postal   *Value[string] `json:"postal,omitempty"`
	Line1    *Value[string] `json:"line1,omitempty"`
	Line2    *Value[string] `json:"line2,omitempty"`
	Country  *Code          `json:"country,omitempty"`
	Meta
}

// Unformatted reports whether the address is free-form lines: its type says
// so, or it has lines and no type.
func (a *Address) Unformatted() bool {
	if a == nil {
		return false
	}
	if a.Type != "" {
		return strings.EqualFold(a.Type, "Unformatted")
	}
	return a.Line1 != nil || a.Line2 != nil
}

// Phone is a telephone number: prefix ("+"), area code ("65") and number.
type Phone struct {
	Prefix   *Value[string] `json:"prefix,omitempty"`
	AreaCode *Value[string] `json:"areacode,omitempty"`
	Number   *Value[string] `json:"nbr,omitempty"`
	Meta
}

// List is an attribute holding records. Myinfo sends an array, but it also
// accepts an object keyed "0", "1", … (the published sample's vehicles) and a
// single object (such as an unavailable marker), which becomes one record.
type List[T any] []T

// UnmarshalJSON implements the shapes described on [List].
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var items []T
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		*l = items
		return nil
	case !isObject(b):
		return errors.New("myinfo: list is neither an array nor an object")
	}
	var byKey map[string]json.RawMessage
	if err := json.Unmarshal(b, &byKey); err != nil {
		return err
	}
	if len(byKey) == 0 {
		*l = List[T]{}
		return nil
	}
	type indexed struct {
		i   int
		raw json.RawMessage
	}
	var numbered []indexed
	for k, raw := range byKey {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || strconv.Itoa(i) != k {
			numbered = nil
			break
		}
		numbered = append(numbered, indexed{i, raw})
	}
	if numbered == nil {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = List[T]{one}
		return nil
	}
	slices.SortFunc(numbered, func(a, b indexed) int { return a.i - b.i })
	items := make(List[T], len(numbered))
	for n, e := range numbered {
		if err := json.Unmarshal(e.raw, &items[n]); err != nil {
			return err
		}
	}
	*l = items
	return nil
}

// HDBOwnership is one HDB flat the person owns.
type HDBOwnership struct {
	NoOfOwners              *Value[json.Number] `json:"noofowners,omitempty"`
	Address                 *Address            `json:"address,omitempty"`
	HDBType                 *Code               `json:"hdbtype,omitempty"`
	LeaseCommencementDate   *Value[string]      `json:"leasecommencementdate,omitempty"`
	TermOfLease             *Value[json.Number] `json:"termoflease,omitempty"`
	DateOfPurchase          *Value[string]      `json:"dateofpurchase,omitempty"`
	DateOfOwnershipTransfer *Value[string]      `json:"dateofownershiptransfer,omitempty"`
	LoanGranted             *Value[json.Number] `json:"loangranted,omitempty"`
	OriginalLoanRepayment   *Value[json.Number] `json:"originalloanrepayment,omitempty"`
	BalanceLoanRepayment    *LoanPeriod         `json:"balanceloanrepayment,omitempty"`
	OutstandingLoanBalance  *Value[json.Number] `json:"outstandingloanbalance,omitempty"`
	MonthlyLoanInstalment   *Value[json.Number] `json:"monthlyloaninstalment,omitempty"`
	OutstandingInstalment   *Value[json.Number] `json:"outstandinginstalment,omitempty"`
	PurchasePrice           *Value[json.Number] `json:"purchaseprice,omitempty"`
	Meta
}

// LoanPeriod is a duration in years and months.
type LoanPeriod struct {
	Years  *Value[json.Number] `json:"years,omitempty"`
	Months *Value[json.Number] `json:"months,omitempty"`
}

// ChildBirthRecord is a child's birth record.
type ChildBirthRecord struct {
	BirthCertNo             *Value[string]               `json:"birthcertno,omitempty"`
	Name                    *Value[string]               `json:"name,omitempty"`
	HanyuPinyinName         *Value[string]               `json:"hanyupinyinname,omitempty"`
	AliasName               *Value[string]               `json:"aliasname,omitempty"`
	HanyuPinyinAliasName    *Value[string]               `json:"hanyupinyinaliasname,omitempty"`
	MarriedName             *Value[string]               `json:"marriedname,omitempty"`
	Sex                     *Code                        `json:"sex,omitempty"`
	Race                    *Code                        `json:"race,omitempty"`
	SecondaryRace           *Code                        `json:"secondaryrace,omitempty"`
	Dialect                 *Code                        `json:"dialect,omitempty"`
	LifeStatus              *Code                        `json:"lifestatus,omitempty"`
	DOB                     *Value[string]               `json:"dob,omitempty"`
	TOB                     *Value[string]               `json:"tob,omitempty"` // time of birth, HHMM
	VaccinationRequirements List[VaccinationRequirement] `json:"vaccinationrequirements,omitempty"`
	SGCitizenAtBirthInd     *Value[string]               `json:"sgcitizenatbirthind,omitempty"` // "Y" or "N"
	Meta
}

// SponsoredChildRecord is the record of a child the person sponsors.
type SponsoredChildRecord struct {
	NRIC                    *Value[string]               `json:"nric,omitempty"`
	Name                    *Value[string]               `json:"name,omitempty"`
	HanyuPinyinName         *Value[string]               `json:"hanyupinyinname,omitempty"`
	AliasName               *Value[string]               `json:"aliasname,omitempty"`
	HanyuPinyinAliasName    *Value[string]               `json:"hanyupinyinaliasname,omitempty"`
	MarriedName             *Value[string]               `json:"marriedname,omitempty"`
	Sex                     *Code                        `json:"sex,omitempty"`
	Race                    *Code                        `json:"race,omitempty"`
	SecondaryRace           *Code                        `json:"secondaryrace,omitempty"`
	Dialect                 *Code                        `json:"dialect,omitempty"`
	DOB                     *Value[string]               `json:"dob,omitempty"`
	BirthCountry            *Code                        `json:"birthcountry,omitempty"`
	LifeStatus              *Code                        `json:"lifestatus,omitempty"`
	ResidentialStatus       *Code                        `json:"residentialstatus,omitempty"`
	Nationality             *Code                        `json:"nationality,omitempty"`
	SCPRGrantDate           *Value[string]               `json:"scprgrantdate,omitempty"`
	VaccinationRequirements List[VaccinationRequirement] `json:"vaccinationrequirements,omitempty"`
	Meta
}

// VaccinationRequirement is one vaccination requirement and whether the
// child fulfilled it.
type VaccinationRequirement struct {
	Requirement *Code        `json:"requirement,omitempty"`
	Fulfilled   *Value[bool] `json:"fulfilled,omitempty"`
}

// Vehicle is one vehicle the person owns. The published sample carries only
// provenance here; the fields follow the v3 data catalogue.
type Vehicle struct {
	VehicleNo                *Value[string]      `json:"vehicleno,omitempty"`
	Type                     *Value[string]      `json:"type,omitempty"`
	IULabelNo                *Value[string]      `json:"iulabelno,omitempty"`
	Make                     *Value[string]      `json:"make,omitempty"`
	Model                    *Value[string]      `json:"model,omitempty"`
	ChassisNo                *Value[string]      `json:"chassisno,omitempty"`
	EngineNo                 *Value[string]      `json:"engineno,omitempty"`
	MotorNo                  *Value[string]      `json:"motorno,omitempty"`
	YearOfManufacture        *Value[string]      `json:"yearofmanufacture,omitempty"`
	FirstRegistrationDate    *Value[string]      `json:"firstregistrationdate,omitempty"`
	OriginalRegistrationDate *Value[string]      `json:"originalregistrationdate,omitempty"`
	COECategory              *Value[string]      `json:"coecategory,omitempty"`
	COEExpiryDate            *Value[string]      `json:"coeexpirydate,omitempty"`
	RoadTaxExpiryDate        *Value[string]      `json:"roadtaxexpirydate,omitempty"`
	QuotaPremium             *Value[json.Number] `json:"quotapremium,omitempty"`
	OpenMarketValue          *Value[json.Number] `json:"openmarketvalue,omitempty"`
	CO2Emission              *Value[json.Number] `json:"co2emission,omitempty"`
	Status                   *Code               `json:"status,omitempty"`
	PrimaryColour            *Value[string]      `json:"primarycolour,omitempty"`
	SecondaryColour          *Value[string]      `json:"secondarycolour,omitempty"`
	Scheme                   *Value[string]      `json:"scheme,omitempty"`
	EngineCapacity           *Value[json.Number] `json:"enginecapacity,omitempty"`
	PowerRate                *Value[json.Number] `json:"powerrate,omitempty"`
	EffectiveOwnership       *Value[string]      `json:"effectiveownership,omitempty"`
	Propellant               *Value[string]      `json:"propellant,omitempty"`
	MaximumUnladenWeight     *Value[json.Number] `json:"maximumunladenweight,omitempty"`
	MaximumLadenWeight       *Value[json.Number] `json:"maximumladenweight,omitempty"`
	MinimumPARFBenefit       *Value[json.Number] `json:"minimumparfbenefit,omitempty"`
	NoOfTransfers            *Value[json.Number] `json:"nooftransfers,omitempty"`
	VPC                      *Value[string]      `json:"vpc,omitempty"`
	Meta
}

// DrivingLicence is the person's driving licence record.
type DrivingLicence struct {
	COMStatus          *Code               `json:"comstatus,omitempty"` // certificate of merit
	TotalDemeritPoints *Value[json.Number] `json:"totaldemeritpoints,omitempty"`
	Suspension         *Period             `json:"suspension,omitempty"`
	Disqualification   *Period             `json:"disqualification,omitempty"`
	Revocation         *Period             `json:"revocation,omitempty"`
	PDL                *Licence            `json:"pdl,omitempty"` // provisional
	QDL                *Licence            `json:"qdl,omitempty"` // qualified
	PhotoCardSerialNo  *Value[string]      `json:"photocardserialno,omitempty"`
	Meta
}

// Period is a start and end date; both are "" when there is none.
type Period struct {
	StartDate *Value[string] `json:"startdate,omitempty"`
	EndDate   *Value[string] `json:"enddate,omitempty"`
}

// Licence is a provisional or qualified driving licence.
type Licence struct {
	Validity   *Code              `json:"validity,omitempty"`
	ExpiryDate *Value[string]     `json:"expirydate,omitempty"`
	Classes    List[LicenceClass] `json:"classes,omitempty"`
}

// LicenceClass is one licence class; IssueDate is given for qualified
// licences only.
type LicenceClass struct {
	Class     *Value[string] `json:"class,omitempty"`
	IssueDate *Value[string] `json:"issuedate,omitempty"`
}

// AcademicQualifications holds examination transcripts and certificates.
type AcademicQualifications struct {
	Transcripts  List[Transcript]  `json:"transcripts,omitempty"`
	Certificates List[Certificate] `json:"certificates,omitempty"`
	Meta
}

// Transcript is one examination transcript.
type Transcript struct {
	Name             *Value[string]      `json:"name,omitempty"`
	YearAttained     *Value[string]      `json:"yearattained,omitempty"`
	Results          List[SubjectResult] `json:"results,omitempty"`
	ExplanatoryNotes *Value[string]      `json:"explanatorynotes,omitempty"`
}

// SubjectResult is one subject's grade on a transcript.
type SubjectResult struct {
	Subject    *Value[string] `json:"subject,omitempty"`
	Level      *Value[string] `json:"level,omitempty"`
	Grade      *Value[string] `json:"grade,omitempty"`
	SubSubject *Value[string] `json:"subsubject,omitempty"`
	SubGrade   *Value[string] `json:"subgrade,omitempty"`
}

// Certificate is one certificate, possibly an OpenCerts document.
type Certificate struct {
	Name                     *Value[string]   `json:"name,omitempty"`
	Content                  *Value[string]   `json:"content,omitempty"`
	OpenCertificate          *OpenCertificate `json:"opencertificate,omitempty"`
	OpenCertificateIndicator *Value[bool]     `json:"opencertificateindicator,omitempty"`
}

// OpenCertificate identifies an OpenCerts certificate.
type OpenCertificate struct {
	ID      *Value[json.Number] `json:"id,omitempty"`
	Primary *Value[bool]        `json:"primary,omitempty"`
}

// SchemeEligibility is the person's eligibility for the Merdeka or Pioneer
// Generation package.
type SchemeEligibility struct {
	Eligibility *Value[bool]        `json:"eligibility,omitempty"`
	Quantum     *Value[json.Number] `json:"quantum,omitempty"`
	Message     *Code               `json:"message,omitempty"`
	Meta
}

// NOABasic is the basic notice of assessment: assessable income and year.
type NOABasic struct {
	Amount           *Value[json.Number] `json:"amount,omitempty"`
	YearOfAssessment *Value[string]      `json:"yearofassessment,omitempty"`
	Meta
}

// NOA is the detailed notice of assessment.
type NOA struct {
	Amount           *Value[json.Number] `json:"amount,omitempty"`
	YearOfAssessment *Value[string]      `json:"yearofassessment,omitempty"`
	Employment       *Value[json.Number] `json:"employment,omitempty"`
	Trade            *Value[json.Number] `json:"trade,omitempty"`
	Rent             *Value[json.Number] `json:"rent,omitempty"`
	Interest         *Value[json.Number] `json:"interest,omitempty"`
	TaxClearance     *Value[string]      `json:"taxclearance,omitempty"` // "Y" or "N"
	Category         *Value[string]      `json:"category,omitempty"`     // "ORIGINAL", "AMENDED"
	Meta
}

// NOAHistoryBasic is the basic notices of assessment of past years.
type NOAHistoryBasic struct {
	NOAs List[NOABasic] `json:"noas,omitempty"`
	Meta
}

// NOAHistory is the detailed notices of assessment of past years.
type NOAHistory struct {
	NOAs List[NOA] `json:"noas,omitempty"`
	Meta
}

// CPFContributions is the person's CPF contribution history.
type CPFContributions struct {
	History List[CPFContribution] `json:"history,omitempty"`
	Meta
}

// CPFContribution is one CPF contribution: when it was paid, the month it
// is for, how much and by which employer.
type CPFContribution struct {
	Date     *Value[string]      `json:"date,omitempty"`
	Amount   *Value[json.Number] `json:"amount,omitempty"`
	Month    *Value[string]      `json:"month,omitempty"` // YYYY-MM
	Employer *Value[string]      `json:"employer,omitempty"`
}

// CPFEmployers is the history of employers who paid CPF contributions.
type CPFEmployers struct {
	History List[CPFEmployment] `json:"history,omitempty"`
	Meta
}

// CPFEmployment is one month's employer.
type CPFEmployment struct {
	Month    *Value[string] `json:"month,omitempty"` // YYYY-MM
	Employer *Value[string] `json:"employer,omitempty"`
}

// CPFBalances is the balance of each CPF account: Medisave, Ordinary,
// Special and Retirement.
type CPFBalances struct {
	MA *Value[json.Number] `json:"ma,omitempty"`
	OA *Value[json.Number] `json:"oa,omitempty"`
	SA *Value[json.Number] `json:"sa,omitempty"`
	RA *Value[json.Number] `json:"ra,omitempty"`
	Meta
}

// CPFHousingWithdrawal is the CPF used for housing, per property.
type CPFHousingWithdrawal struct {
	WithdrawalDetails List[HousingWithdrawal] `json:"withdrawaldetails,omitempty"`
	Meta
}

// HousingWithdrawal is the CPF used for one property.
type HousingWithdrawal struct {
	Address                            *Address            `json:"address,omitempty"`
	AccruedInterestAmt                 *Value[json.Number] `json:"accruedinterestamt,omitempty"`
	MonthlyInstalmentAmt               *Value[json.Number] `json:"monthlyinstalmentamt,omitempty"`
	PrincipalWithdrawalAmt             *Value[json.Number] `json:"principalwithdrawalamt,omitempty"`
	TotalAmountOfCPFAllowedForProperty *Value[json.Number] `json:"totalamountofcpfallowedforproperty,omitempty"`
}

// CPFHomeProtectionScheme is the person's Home Protection Scheme cover.
type CPFHomeProtectionScheme struct {
	Coverage     *Value[bool]        `json:"coverage,omitempty"`
	Premium      *Value[json.Number] `json:"premium,omitempty"`
	ShareOfCover *Value[json.Number] `json:"shareofcover,omitempty"` // percent
	Meta
}

// CPFDependantProtectionScheme is the person's Dependants' Protection
// Scheme cover.
type CPFDependantProtectionScheme struct {
	Coverage         *Value[bool]        `json:"coverage,omitempty"`
	InsurerCode      *Value[string]      `json:"insurercode,omitempty"`
	SumAssuredAmount *Value[json.Number] `json:"sumassuredamount,omitempty"`
	Meta
}

// CPFInvestmentScheme is the person's CPF Investment Scheme position. In the
// sample its members carry provenance and it carries none.
type CPFInvestmentScheme struct {
	SDSNetShareholdingQty  *Value[json.Number] `json:"sdsnetshareholdingqty,omitempty"`
	Account                *InvestmentAccount  `json:"account,omitempty"`
	SAQParticipationStatus *Code               `json:"saqparticipationstatus,omitempty"`
	Meta
}

// InvestmentAccount is the agent bank account of the CPF Investment Scheme.
type InvestmentAccount struct {
	AgentBankCode *Value[string] `json:"agentbankcode,omitempty"`
	InvBankAcctNo *Value[string] `json:"invbankacctno,omitempty"`
	Meta
}

// isObject reports whether b, after leading white space, starts a JSON
// object. Validity is left to the decoder.
func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// decodeScalar reads one JSON scalar into dst with the leniency described on
// [Value]. Errors never quote the value: it may be personal data.
func decodeScalar[T Scalar](raw json.RawMessage, dst *T) error {
	var zero T
	*dst = zero
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return err
	}
	switch d := any(dst).(type) {
	case *json.Number:
		switch x := x.(type) {
		case json.Number:
			*d = x
		case string:
			if x == "" {
				return nil
			}
			var n json.Number
			if err := json.Unmarshal([]byte(x), &n); err != nil || strings.TrimSpace(x) != x {
				return errors.New("myinfo: value is not a number")
			}
			*d = n
		default:
			return errors.New("myinfo: value is not a number")
		}
	case *string:
		switch x := x.(type) {
		case string:
			*d = x
		case json.Number:
			*d = string(x)
		case bool:
			*d = strconv.FormatBool(x)
		default:
			return errors.New("myinfo: value is not a string")
		}
	case *bool:
		switch x := x.(type) {
		case bool:
			*d = x
		case string:
			switch strings.ToUpper(x) {
			case "", "FALSE", "N":
			case "TRUE", "Y":
				*d = true
			default:
				return errors.New("myinfo: value is not a boolean")
			}
		default:
			return errors.New("myinfo: value is not a boolean")
		}
	default:
		return json.Unmarshal(raw, dst)
	}
	return nil
}
